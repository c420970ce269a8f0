/**
 * `GET /auth/session`: what the dashboard may know about the signed-in user: their Keyfob id, their vehicles
 * (masked VIN, granted scopes, grant status) and when the session ends. Never a token, a provider grant id or a
 * full VIN.
 */
import type { FastifyInstance } from 'fastify';
import { sessionEndsAt } from '../../sessions/session-timeouts.ts';

const vehicleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'make', 'model', 'year', 'vin', 'scopes', 'status'],
  properties: {
    id: { type: 'string' },
    make: { type: ['string', 'null'] },
    model: { type: ['string', 'null'] },
    year: { type: ['integer', 'null'] },
    vin: { type: ['string', 'null'] },
    scopes: { type: 'array', items: { type: 'string' } },
    status: { type: 'string' },
  },
} as const;

export const vehicleListSchema = { type: 'array', items: vehicleSchema } as const;

/** The browser-safe view of a user's vehicles, shared by /auth/session and /api/vehicles. */
export async function browserVehicles(app: FastifyInstance, userId: string) {
  const vehicles = await app.repos.vehicles.listOwned(userId);
  return vehicles.map((vehicle) => ({
    id: vehicle.id,
    make: vehicle.make,
    model: vehicle.model,
    year: vehicle.year,
    // Only the last four characters are stored in clear; the rest of a 17-character VIN shows as stars.
    vin: vehicle.vinLast4 ? `${'*'.repeat(13)}${vehicle.vinLast4}` : null,
    scopes: vehicle.scopes,
    status: vehicle.grantStatus,
  }));
}

export function sessionRoute(app: FastifyInstance) {
  app.get(
    '/session',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['authenticated'],
            properties: {
              authenticated: { type: 'boolean' },
              user: { type: 'object', additionalProperties: false, properties: { id: { type: 'string' } } },
              vehicles: vehicleListSchema,
              expiresAt: { type: 'string' },
            },
          },
        },
      },
    },
    async (request) => {
      const { userId, createdAt } = request.session;
      if (!userId || createdAt === undefined) return { authenticated: false };
      const { idleTimeoutSeconds, absoluteTimeoutSeconds } = app.config.session;
      const expiresAt = sessionEndsAt(request.session, idleTimeoutSeconds * 1000, absoluteTimeoutSeconds * 1000);
      return {
        authenticated: true,
        user: { id: userId },
        vehicles: await browserVehicles(app, userId),
        expiresAt: new Date(expiresAt).toISOString(),
      };
    },
  );
}
