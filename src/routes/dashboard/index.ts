/** `/` and `/dashboard/*`: the dashboard's static files. */
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const PUBLIC = fileURLToPath(new URL('../../dashboard/public', import.meta.url));

export default async function dashboardRoutes(app: FastifyInstance) {
  await app.register(fastifyStatic, { root: PUBLIC, prefix: '/dashboard/', index: false, wildcard: false });
  const page = { description: 'the dashboard page', content: { 'text/html': { schema: { type: 'string' } } } };
  app.get(
    '/',
    { schema: { tags: ['operations'], summary: 'the dashboard', response: { 200: page } } },
    async (_request, reply) => reply.sendFile('index.html'),
  );
  // Browsers ask for it on every page; the dashboard has none, and a 404 would clutter the console.
  app.get(
    '/favicon.ico',
    { schema: { hide: true, response: { 204: { description: 'no icon', type: 'null' } } } },
    async (_request, reply) => reply.code(204).send(),
  );
}
