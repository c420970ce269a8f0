// The sandbox in a process of its own for the benchmark: no rate limit, default lifetimes, strict reuse.
import { startSandbox } from '../src/sandbox/start-sandbox.ts';

const sandbox = await startSandbox({
  port: 0,
  clients: [
    {
      clientId: process.env.BENCH_CLIENT_ID ?? '',
      secrets: [process.env.BENCH_CLIENT_SECRET ?? ''],
      redirectUris: [process.env.BENCH_REDIRECT_URI ?? ''],
    },
  ],
  settings: { rateLimitPerMinute: 0, refreshReuseGraceSeconds: 0 },
  logLevel: 'silent',
});
process.stdout.write(`${JSON.stringify({ url: sandbox.url })}\n`);
