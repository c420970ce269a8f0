/**
 * The production session store: one Redis key per session (`SET ... NX` to create, `SET ... XX` to update, so a
 * destroyed session stays destroyed), expiring with the session. Every instance shares it. A set per user names
 * that user's sessions (an erasure ends them all); it expires with the absolute timeout after its last write, which
 * no session outlives.
 */

import { ERROR_CODES, KeyfobError } from '../errors/keyfob-error.ts';
import type { RedisClient } from '../plugins/external/redis.ts';
import type { SessionData, SessionStore } from './session-store.ts';

const PREFIX = 'keyfob:session:';
const USER_INDEX = 'keyfob:user-sessions:';

/**
 * Sessions fail closed: when Redis cannot be read, the request is answered 503, never treated as signed out
 * (which would start a new session) nor as signed in.
 */
function unavailable(cause: Error): KeyfobError {
  return new KeyfobError(
    ERROR_CODES.SESSION_STORE_UNAVAILABLE,
    503,
    'the session store is unavailable; try again shortly',
    { cause, expose: true, details: { retryAfterSeconds: 5 } },
  );
}

export function createRedisSessionStore(redis: RedisClient, absoluteMs: number): SessionStore {
  return {
    async load(sessionId) {
      const value = await redis.get(PREFIX + sessionId).catch((error: Error) => {
        throw unavailable(error);
      });
      return value ? (JSON.parse(value) as SessionData) : null;
    },
    async save(sessionId, data, ttlMs, mode) {
      const key = PREFIX + sessionId;
      const value = JSON.stringify(data);
      const write =
        mode === 'create' ? redis.set(key, value, 'PX', ttlMs, 'NX') : redis.set(key, value, 'PX', ttlMs, 'XX');
      const written = await write.catch((error: Error) => {
        throw unavailable(error);
      });
      if (written === 'OK' && data.userId) {
        const index = USER_INDEX + data.userId;
        await redis
          .multi()
          .sadd(index, sessionId)
          .pexpire(index, absoluteMs)
          .exec()
          .catch((error: Error) => {
            throw unavailable(error);
          });
      }
      return written === 'OK';
    },
    async destroy(sessionId) {
      await redis.del(PREFIX + sessionId).catch((error: Error) => {
        throw unavailable(error);
      });
    },
    async sessionsOf(userId) {
      return redis.smembers(USER_INDEX + userId).catch((error: Error) => {
        throw unavailable(error);
      });
    },
  };
}
