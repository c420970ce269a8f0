/**
 * The Smartcar simulator's webhooks: a VEHICLE_STATE event whenever a command changes a connected vehicle,
 * a VEHICLE_ERROR whenever the connection controls (connection-controls.ts) revoke a grant or change whether the
 * car is reachable, and (with `webhookIntervalSeconds`) every connected vehicle's state as it drives or charges, posted to the target
 * Keyfob was configured with, signed (`SC-Signature`, hex HMAC-SHA256 of the compact JSON body under the AMT).
 * Smartcar's delivery rules: any 2xx within 15 s succeeds; otherwise three retries after 25, 50 and 100 s (scaled
 * by `webhookRetryPercent`), then the event is dropped. The `eventId` stays across retries; `deliveryId` is new on
 * each. Signals are those the grant's permissions allow, in the v3 signals' shapes. A VERIFY challenge is sent on
 * request, unsigned by default (whether Smartcar signs it is UNCONFIRMED: the stricter side for a receiver).
 * @see ../../../../shared/reference/vehicle-apis.md (Smartcar, Webhooks)
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { SandboxState } from '../state/sandbox-state.ts';
import { SIGNALS } from './signals-v3.ts';
import type { SandboxGrant } from './token-store.ts';

export interface SmartcarWebhookTarget {
  url: string;
  amt: string;
}

const RETRY_DELAYS_MS = [25_000, 50_000, 100_000];
const DELIVERY_TIMEOUT_MS = 15_000;
const WEBHOOK_ID = 'b0d5a7c4-7e1f-4f8e-9a2c-3d6b8e1f0a55';

const sign = (amt: string, body: string) => createHmac('sha256', amt).update(body).digest('hex');

export function smartcarWebhooks(app: FastifyInstance, state: SandboxState, target: SmartcarWebhookTarget) {
  const pending = new Set<NodeJS.Timeout>();

  function stateEvent(grant: SandboxGrant, vehicleId: string, trigger: Record<string, unknown>) {
    const vehicle = state.vehicles.get(vehicleId);
    // A car asleep or offline has nothing new to tell.
    if (vehicle?.reachability !== 'ONLINE') return undefined;
    const now = state.clock.now();
    const signals = SIGNALS.filter(
      (signal) => grant.scopes.includes(signal.permission) && signal.available(vehicle),
    ).map((signal) => ({
      code: signal.code,
      name: signal.name,
      group: signal.group,
      body: signal.body(vehicle),
      meta: { oemUpdatedAt: vehicle.updatedAt, fetchedAt: now },
    }));
    return {
      eventId: randomUUID(),
      eventType: 'VEHICLE_STATE',
      vehicleId,
      data: {
        user: { id: grant.accountId },
        vehicle: { id: vehicleId, make: vehicle.spec.make, model: vehicle.spec.model, year: vehicle.spec.year },
        triggers: [trigger],
        signals,
      },
      meta: {
        version: '4.0',
        webhookId: WEBHOOK_ID,
        webhookName: 'Keyfob sandbox',
        mode: 'LIVE',
        signalCount: signals.length,
      },
    };
  }

  /** A VEHICLE_ERROR for one grant: Smartcar's `errors[]` entries about the vehicle. */
  function errorEvent(grant: SandboxGrant, vehicleId: string, errors: Array<Record<string, unknown>>) {
    const vehicle = state.vehicles.get(vehicleId);
    if (!vehicle) return undefined;
    return {
      eventId: randomUUID(),
      eventType: 'VEHICLE_ERROR',
      vehicleId,
      data: {
        user: { id: grant.accountId },
        vehicle: { id: vehicleId, make: vehicle.spec.make, model: vehicle.spec.model, year: vehicle.spec.year },
        errors,
      },
      meta: { version: '4.0', webhookId: WEBHOOK_ID, webhookName: 'Keyfob sandbox', mode: 'LIVE' },
    };
  }

  type Envelope = NonNullable<ReturnType<typeof stateEvent> | ReturnType<typeof errorEvent>>;

  async function attempt(event: Envelope, tries: number): Promise<void> {
    const body = JSON.stringify({
      ...event,
      meta: { ...event.meta, deliveryId: randomUUID(), deliveredAt: state.clock.now() },
    });
    let ok = false;
    try {
      const answer = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'sc-signature': sign(target.amt, body),
          'user-agent': 'Smartcar/4.0',
        },
        body,
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await answer.arrayBuffer();
      ok = answer.status >= 200 && answer.status < 300;
    } catch {
      ok = false;
    }
    state.calls.add(ok ? 'webhook.delivered' : 'webhook.failed');
    if (ok) return;
    const delay = RETRY_DELAYS_MS[tries];
    if (delay === undefined) {
      state.calls.add('webhook.dropped');
      return;
    }
    const timer = setTimeout(
      () => {
        pending.delete(timer);
        void attempt(event, tries + 1);
      },
      Math.round((delay * state.settings.webhookRetryPercent) / 100),
    );
    pending.add(timer);
  }

  /** Sends the vehicle's state to every live grant that holds it; returns the events' ids. */
  function send(vehicleId: string, trigger: Record<string, unknown>): string[] {
    const ids: string[] = [];
    for (const grant of state.tokens.grants.values()) {
      if (grant.revoked || !grant.vehicleIds.has(vehicleId)) continue;
      const event = stateEvent(grant, vehicleId, trigger);
      if (!event) continue;
      ids.push(event.eventId);
      void attempt(event, 0);
    }
    return ids;
  }

  state.onVehicleChanged((vehicleId) =>
    send(vehicleId, { code: 'SIGNAL_CHANGED', name: 'IsLocked', group: 'Closure' }),
  );
  // Told to the grants the report names, revoked ones included: a revocation is news to the app that held it.
  state.onVehicleError(({ vehicleId, grantIds, errors }) => {
    for (const grantId of grantIds) {
      const grant = state.tokens.grants.get(grantId);
      const event = grant ? errorEvent(grant, vehicleId, errors) : undefined;
      if (event) void attempt(event, 0);
    }
  });

  // Checked every second, so a change of `webhookIntervalSeconds` takes effect at once.
  let lastTick = Date.now();
  const ticker = setInterval(() => {
    const seconds = state.settings.webhookIntervalSeconds;
    if (seconds === 0 || Date.now() - lastTick < seconds * 1000) return;
    lastTick = Date.now();
    const connected = new Set<string>();
    for (const grant of state.tokens.grants.values()) {
      if (!grant.revoked) for (const id of grant.vehicleIds) connected.add(id);
    }
    for (const id of connected) {
      state.vehicles.get(id)?.advance(state.clock.now());
      send(id, { code: 'SCHEDULED' });
    }
  }, 1_000);
  ticker.unref();
  app.addHook('onClose', async () => {
    clearInterval(ticker);
    for (const timer of pending) clearTimeout(timer);
  });

  /** Sends one vehicle's state now: `{ vehicleId }`. */
  app.post('/sandbox/webhooks/send', async (request, reply) => {
    const { vehicleId } = (request.body ?? {}) as { vehicleId?: unknown };
    if (typeof vehicleId !== 'string' || !state.vehicles.has(vehicleId)) {
      return reply.code(400).send({ error: 'invalid_vehicle', message: 'vehicleId of a sandbox vehicle' });
    }
    state.vehicles.get(vehicleId)?.advance(state.clock.now());
    return { eventIds: send(vehicleId, { code: 'FIRST_DELIVERY' }) };
  });

  /** Runs the verification flow against the target: `{ verified, status }`. */
  app.post('/sandbox/webhooks/verify', async () => {
    const challenge = randomBytes(24).toString('base64url');
    const body = JSON.stringify({
      eventId: randomUUID(),
      eventType: 'VERIFY',
      data: { challenge },
      meta: {
        version: '4.0',
        webhookId: WEBHOOK_ID,
        deliveryId: randomUUID(),
        deliveredAt: new Date(state.clock.now()).toISOString(),
      },
    });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (state.settings.webhookVerify === 'signed') headers['sc-signature'] = sign(target.amt, body);
    const answer = await fetch(target.url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    const answered = (await answer.json().catch(() => ({}))) as { challenge?: unknown };
    return {
      verified: answer.status === 200 && answered.challenge === sign(target.amt, challenge),
      status: answer.status,
    };
  });
}
