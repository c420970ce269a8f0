/**
 * A person's own account (GDPR articles 15 and 17), for the signed-in person only (routes/api/index.ts: session,
 * CSRF header, never a machine client, no scope can close them):
 * - `GET /api/account/export`: everything Keyfob keeps of them as JSON: identities, connections (never a token),
 *   vehicles (VIN masked; `?vin=full` shows it, after a sign-in of at most FRESH_SIGN_IN_SECONDS), sign-ins,
 *   stored vehicle events, what providers reported about the vehicles, machine clients given access, and their
 *   audit trail;
 * - `DELETE /api/account`: erases them (erasure/erase-user.ts), after a sign-in of at most FRESH_SIGN_IN_SECONDS,
 *   so a session cookie stolen or left open an hour ago cannot destroy an account.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ERROR_CODES, KeyfobError } from '../../errors/keyfob-error.ts';
import { maskVin } from '../../logging/mask.ts';
import { auditTrailOf } from '../../repositories/audit.ts';

/** The sign-in behind this session is recent enough for an irreversible or revealing action. */
function requireFreshSignIn(app: FastifyInstance, request: FastifyRequest) {
  const maxAgeSeconds = app.config.freshSignInSeconds;
  const signedInAt = request.session.createdAt ?? 0;
  if (Date.now() - signedInAt <= maxAgeSeconds * 1000) return;
  throw new KeyfobError(
    ERROR_CODES.FRESH_SIGN_IN_REQUIRED,
    403,
    `sign in again (within the last ${maxAgeSeconds} seconds) to do this`,
    {
      details: {
        maxAgeSeconds,
        // With an identity provider, one that asks for the credentials again rather than a silent sign-in.
        loginUrl: app.identity ? '/auth/login?prompt=login&returnTo=/' : '/auth/login?returnTo=/',
      },
    },
  );
}

const exportQuery = {
  type: 'object',
  properties: { vin: { type: 'string', enum: ['masked', 'full'], default: 'masked' } },
  additionalProperties: false,
} as const;

export default async function accountRoutes(app: FastifyInstance) {
  const exportSchema = {
    summary: 'everything Keyfob keeps of the signed-in person (GDPR article 15); never a token',
    querystring: exportQuery,
    response: {
      200: {
        type: 'object',
        required: ['exportedAt', 'user', 'identities', 'connections', 'vehicles', 'vehicleEvents', 'auditTrail'],
        properties: {
          exportedAt: { type: 'string' },
          user: { type: 'object', additionalProperties: true },
          identities: { type: 'array', items: { type: 'object', additionalProperties: true } },
          connections: { type: 'array', items: { type: 'object', additionalProperties: true } },
          signIns: { type: 'array', items: { type: 'object', additionalProperties: true } },
          vehicles: { type: 'array', items: { type: 'object', additionalProperties: true } },
          vehicleEvents: { type: 'object', additionalProperties: true },
          machineClientsWithAccess: { type: 'array', items: { type: 'object', additionalProperties: true } },
          auditTrail: { type: 'array', items: { type: 'object', additionalProperties: true } },
        },
      },
    },
  };
  app.get('/account/export', { schema: exportSchema }, async (request, reply) => {
    const { vin } = request.query as { vin: 'masked' | 'full' };
    if (vin === 'full') requireFreshSignIn(app, request);
    const userId = request.session.userId as string;
    const exported = await exportAccount(app, userId, vin === 'full');
    reply.header('content-disposition', 'attachment; filename="keyfob-account.json"');
    return exported;
  });

  const eraseSchema = {
    summary: 'erases the signed-in person (GDPR article 17); needs a recent sign-in',
    response: {
      200: {
        type: 'object',
        required: ['erased', 'erasedAt', 'pseudonym', 'disconnections'],
        properties: {
          erased: { type: 'boolean' },
          erasedAt: { type: 'string' },
          pseudonym: { type: 'string' },
          disconnections: {
            type: 'array',
            items: {
              type: 'object',
              required: ['provider', 'outcome'],
              properties: { provider: { type: 'string' }, outcome: { type: 'string' } },
            },
          },
        },
      },
    },
  };
  app.delete('/account', { schema: eraseSchema }, async (request, reply) => {
    requireFreshSignIn(app, request);
    const report = await app.erasure.erase(request.session.userId as string, 'user');
    reply.clearCookie(app.sessions.cookieName, app.sessions.cookieAttributes);
    // The session is gone from the store: nothing is written for it as this answer leaves.
    if (!report) throw new KeyfobError(ERROR_CODES.NOT_FOUND, 404, 'this account no longer exists');
    return {
      erased: true,
      erasedAt: report.erasedAt,
      pseudonym: report.pseudonym,
      disconnections: report.disconnections,
    };
  });
}

async function exportAccount(app: FastifyInstance, userId: string, fullVin: boolean) {
  const user = await app.db.user.findUnique({
    where: { id: userId },
    select: {
      id: true,
      createdAt: true,
      identities: { select: { kind: true, issuer: true, subject: true, createdAt: true } },
      grants: {
        select: {
          id: true,
          provider: true,
          kind: true,
          scopes: true,
          status: true,
          pendingApproval: true,
          createdAt: true,
          lastRefreshedAt: true,
          accessExpiresAt: true,
          refreshExpiresAt: true,
        },
        orderBy: { createdAt: 'asc' },
      },
      oidcSessions: { select: { issuer: true, createdAt: true }, orderBy: { createdAt: 'asc' } },
      machineAccess: { select: { clientId: true, vehicleId: true, createdAt: true } },
    },
  });
  if (!user) throw new KeyfobError(ERROR_CODES.NOT_FOUND, 404, 'this account no longer exists');
  const vehicles = await app.repos.vehicles.listInReach({ userId });
  const vehicleIds = vehicles.map((vehicle) => vehicle.id);
  const [latest, history, audit, reports] = await Promise.all([
    Promise.all(
      vehicles.map(async (vehicle) => ({
        vehicleId: vehicle.id,
        signals: await app.repos.vehicleSignals.latest(vehicle.id),
      })),
    ),
    app.repos.vehicleSignals.historyOf(userId),
    app.db.auditEvent.findMany({
      where: auditTrailOf(userId, vehicleIds),
      select: {
        at: true,
        clientId: true,
        action: true,
        endpoint: true,
        method: true,
        status: true,
        outcome: true,
        vehicleId: true,
      },
      orderBy: { at: 'asc' },
    }),
    app.repos.vehicleConditions.ofVehicles(vehicleIds),
  ]);
  return {
    exportedAt: new Date().toISOString(),
    user: { id: user.id, createdAt: user.createdAt },
    identities: user.identities,
    // What each connection allows and its state; its tokens never leave Keyfob, not even to their owner.
    connections: user.grants,
    signIns: user.oidcSessions,
    vehicles: vehicles.map((vehicle) => {
      const vin = app.repos.vehicles.revealVin(vehicle);
      return {
        id: vehicle.id,
        provider: vehicle.provider,
        connectionId: vehicle.grantId,
        make: vehicle.make,
        model: vehicle.model,
        year: vehicle.year,
        vin: fullVin ? vin : maskVin(vin),
        clearanceStatus: vehicle.clearanceStatus,
        // What its provider reported about it (Smartcar VEHICLE_ERROR, a consent ended), ended reports too.
        providerReports: reports.filter((report) => report.vehicleId === vehicle.id),
      };
    }),
    vehicleEvents: { latest, history },
    machineClientsWithAccess: user.machineAccess,
    auditTrail: audit,
  };
}
