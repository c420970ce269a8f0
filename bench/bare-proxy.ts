// The baseline: a bare pass-through proxy (Fastify + undici) with no session, no token handling, no logging.
import Fastify from 'fastify';
import { Pool } from 'undici';

const upstream = process.env.BENCH_UPSTREAM ?? '';
const pool = new Pool(upstream, { connections: 128 });
const app = Fastify({ logger: false });
app.get('/v2.0/*', async (request, reply) => {
  const answer = await pool.request({
    method: 'GET',
    path: request.url,
    headers: { authorization: request.headers.authorization ?? '' },
  });
  reply.code(answer.statusCode);
  const type = answer.headers['content-type'];
  if (typeof type === 'string') reply.header('content-type', type);
  return reply.send(Buffer.from(await answer.body.arrayBuffer()));
});
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(
  `${JSON.stringify({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` })}\n`,
);
// A clean exit on SIGTERM, so that a CPU profile (BENCH_CPU_PROFILE) is written.
process.once('SIGTERM', () => {
  app.close().then(() => process.exit(0));
});
