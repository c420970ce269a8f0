/**
 * `/auth/*`: the sign-in flow and the session (answers are `Cache-Control: no-store`, see helmet.ts). Besides the
 * per-IP rate limit at the root, every request is refused when its `Origin` is not Keyfob's (403) or its session
 * is over the per-session limit (429).
 */
import type { FastifyInstance } from 'fastify';
import { perSessionRateLimit } from '../../security/rate-limits.ts';
import { requireSameOrigin } from '../../security/require-same-origin.ts';
import { callbackRoute } from './callback.ts';
import { loginRoute } from './login.ts';
import { logoutRoute } from './logout.ts';
import { sessionRoute } from './session.ts';

export default async function authRoutes(app: FastifyInstance) {
  app.addHook('onRequest', requireSameOrigin(app.config.publicUrl));
  app.addHook('preValidation', perSessionRateLimit(app, 'auth', app.config.rateLimits.auth.perSession));
  loginRoute(app);
  callbackRoute(app);
  sessionRoute(app);
  logoutRoute(app);
}
