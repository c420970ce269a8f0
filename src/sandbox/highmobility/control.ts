/**
 * The High Mobility simulator's test controls under `/sandbox/highmobility`: its settings (reuse mode, pending and
 * clearance delays ...), property failures, a car falling asleep, and the VIN-free view of its consents.
 */
import type { FastifyInstance } from 'fastify';
import { patchSettings } from '../routes/settings-patch.ts';
import type { HighMobilityState } from './state.ts';

export function highMobilityControlRoutes(app: FastifyInstance, hm: HighMobilityState) {
  app.get('/sandbox/highmobility/settings', async () => hm.settings);

  app.patch('/sandbox/highmobility/settings', async (request, reply) => {
    const patched = patchSettings(hm.settings, (request.body ?? {}) as Record<string, unknown>, {
      refreshReuse: ['strict', 'grace'],
    });
    if ('invalid' in patched) return reply.code(400).send({ error: 'invalid_setting', message: patched.invalid });
    hm.settings = patched.settings;
    return hm.settings;
  });

  /** `{ vin, property: "charging.battery_level", reason }` makes that property answer `failure`; no reason clears it. */
  app.post('/sandbox/highmobility/failures', async (request, reply) => {
    const { vin, property, reason } = (request.body ?? {}) as { vin?: unknown; property?: unknown; reason?: unknown };
    if (typeof vin !== 'string' || typeof property !== 'string') {
      return reply.code(400).send({ error: 'invalid_failure', message: 'vin and property are required' });
    }
    if (typeof reason === 'string') hm.failures.set(`${vin} ${property}`, reason);
    else hm.failures.delete(`${vin} ${property}`);
    return { failures: hm.failures.size };
  });

  app.post('/sandbox/highmobility/asleep', async (request, reply) => {
    const { vin, asleep } = (request.body ?? {}) as { vin?: unknown; asleep?: unknown };
    if (typeof vin !== 'string') return reply.code(400).send({ error: 'invalid_vin', message: 'vin is required' });
    if (asleep === false) hm.asleep.delete(vin);
    else hm.asleep.add(vin);
    return { asleep: hm.asleep.has(vin) };
  });

  /**
   * `{ vin }`: the carmaker ends that car's consents (the owner withdrew it in the carmaker's app). High Mobility's
   * tokens for it still work at the token endpoint, but every data call answers 401 "Consent is removed by OEM".
   */
  app.post('/sandbox/highmobility/consents/remove-at-oem', async (request, reply) => {
    const { vin } = (request.body ?? {}) as { vin?: unknown };
    if (typeof vin !== 'string') return reply.code(400).send({ error: 'invalid_vin', message: 'vin is required' });
    const consents = [...hm.consents.values()].filter((consent) => consent.vin === vin && !consent.revoked);
    for (const consent of consents) hm.removedAtOem.add(consent.id);
    return { removed: consents.length };
  });

  /** Consents without tokens: how many, revoked or not, pending or not (tests check revocation with it). */
  app.get('/sandbox/highmobility/consents', async () =>
    [...hm.consents.values()].map((consent) => ({
      id: consent.id,
      accountId: consent.accountId,
      vinLast4: consent.vin.slice(-4),
      revoked: consent.revoked,
      pending: hm.isPending(consent),
      liveRefreshTokens: [...hm.refreshTokens.values()].filter((entry) => entry.consentId === consent.id).length,
    })),
  );
}
