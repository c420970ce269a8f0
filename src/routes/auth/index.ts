/** `/auth/*`: the sign-in flow and the session. Every answer here is `Cache-Control: no-store`. */
import type { FastifyInstance } from 'fastify';
import { callbackRoute } from './callback.ts';
import { loginRoute } from './login.ts';
import { logoutRoute } from './logout.ts';
import { sessionRoute } from './session.ts';

export default async function authRoutes(app: FastifyInstance) {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });
  loginRoute(app);
  callbackRoute(app);
  sessionRoute(app);
  logoutRoute(app);
}
