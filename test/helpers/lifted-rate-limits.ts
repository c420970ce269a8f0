/**
 * Rate limits count per client IP in the shared Redis, and every Keyfob of the suite sees its clients as
 * 127.0.0.1: with the production defaults, test files running side by side would spend each other's allowance.
 * Keyfobs under test start with these lifted limits; test/security/rate-limits.test.ts checks the limits
 * themselves, with client addresses of its own.
 */
export const LIFTED_RATE_LIMITS: NodeJS.ProcessEnv = {
  RATE_LIMIT_AUTH_PER_IP: '1000000',
  RATE_LIMIT_AUTH_PER_SESSION: '1000000',
  RATE_LIMIT_API_PER_IP: '1000000',
  RATE_LIMIT_API_PER_SESSION: '1000000',
};
