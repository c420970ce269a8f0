/**
 * `/auth/*`: the sign-in flow and the session (answers are `Cache-Control: no-store`, see helmet.ts). Besides the
 * per-IP rate limit at the root, every request is refused when its `Origin` is not Keyfob's (403), before its
 * session is read, or when its session is over the per-session limit (429).
 */
import type { FastifyInstance } from 'fastify';
import { declareArea } from '../../openapi/declare-area.ts';
import { AUTH_ERRORS } from '../../openapi/error-responses.ts';
import { perSessionRateLimit } from '../../security/rate-limits.ts';
import { requireSameOrigin } from '../../security/require-same-origin.ts';
import { backchannelLogoutRoute } from './backchannel-logout.ts';
import { callbackRoute } from './callback.ts';
import { loginRoute } from './login.ts';
import { logoutRoute } from './logout.ts';
import { sessionRoute } from './session.ts';

export default async function authRoutes(app: FastifyInstance) {
  const sameOrigin = requireSameOrigin(app.config.publicUrl);
  const perSession = perSessionRateLimit(app, 'auth', app.config.rateLimits.auth.perSession);
  app.addHook('onRoute', (route) => declareArea(route, { tag: 'auth', errors: AUTH_ERRORS }));
  app.addHook('onRequest', (request, _reply, done) => {
    sameOrigin(request);
    done();
  });
  // @fastify/session reads the session here, and writes a changed one as the request answers.
  await app.useSessions(app);
  app.addHook('onRequest', async (request) => {
    await app.sessions.enforceTimeouts(request);
    perSession(request);
  });
  loginRoute(app);
  callbackRoute(app);
  sessionRoute(app);
  logoutRoute(app);
  await backchannelLogoutRoute(app);
}
