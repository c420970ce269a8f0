/**
 * Smartcar webhook deliveries as Smartcar sends them: a v4 VEHICLE_STATE envelope about Alex's Tesla by default,
 * compact JSON, signed with the AMT (hex HMAC-SHA256 of the body), posted to a Keyfob's `/webhooks/smartcar`.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { ALEX_ACCOUNT } from './connected.ts';

/** Alex's Tesla, as Smartcar (and so the sandbox) names it. */
export const TESLA_AT_SMARTCAR = '3c1d6e0a-8b7f-4f62-9a15-7e2d4c9b0a11';

export interface SignalReading {
  code: string;
  body: Record<string, unknown>;
  /** The signal's own time (`meta.oemUpdatedAt`), in milliseconds. */
  at: number;
}

export function vehicleStateEvent(options: {
  signals: SignalReading[];
  eventId?: string;
  vehicleId?: string;
  userId?: string;
}): string {
  const vehicleId = options.vehicleId ?? TESLA_AT_SMARTCAR;
  return JSON.stringify({
    eventId: options.eventId ?? randomUUID(),
    eventType: 'VEHICLE_STATE',
    vehicleId,
    data: {
      user: { id: options.userId ?? ALEX_ACCOUNT },
      vehicle: { id: vehicleId, make: 'TESLA', model: 'Model 3', year: 2022 },
      triggers: [{ code: 'FIRST_DELIVERY' }],
      signals: options.signals.map(({ code, body, at }) => ({ code, body, meta: { oemUpdatedAt: at, fetchedAt: at } })),
    },
    meta: { version: '4.0', webhookId: 'w', deliveryId: randomUUID(), deliveredAt: Date.now(), mode: 'LIVE' },
  });
}

export const signWebhook = (amt: string, body: string | Uint8Array) =>
  createHmac('sha256', amt).update(body).digest('hex');

/** Posts a body signed with the AMT, as Smartcar delivers it; resolves to the answer's status. */
export async function deliverWebhook(keyfobUrl: string, amt: string, body: string): Promise<number> {
  const response = await fetch(`${keyfobUrl}/webhooks/smartcar`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'sc-signature': signWebhook(amt, body) },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}

export interface ReportedError {
  type: string;
  code: string | null;
  state: 'ERROR' | 'RESOLVED';
  resolution?: string | null;
  suggestedUserMessage?: string;
  signals?: string[];
}

/** A v4 VEHICLE_ERROR about Alex's Tesla by default; `deliveredAt` (ms) is the only time Smartcar puts on it. */
export function vehicleErrorEvent(options: {
  errors: ReportedError[];
  deliveredAt: number;
  eventId?: string;
  vehicleId?: string;
  userId?: string;
}): string {
  const vehicleId = options.vehicleId ?? TESLA_AT_SMARTCAR;
  return JSON.stringify({
    eventId: options.eventId ?? randomUUID(),
    eventType: 'VEHICLE_ERROR',
    vehicleId,
    data: {
      user: { id: options.userId ?? ALEX_ACCOUNT },
      vehicle: { id: vehicleId, make: 'TESLA', model: 'Model 3', year: 2022 },
      errors: options.errors.map((error) => ({
        type: error.type,
        code: error.code,
        state: error.state,
        description: `${error.type} ${error.code ?? ''}`.trim(),
        ...(error.suggestedUserMessage ? { suggestedUserMessage: error.suggestedUserMessage } : {}),
        docURL: 'https://smartcar.com/docs/errors/api-errors',
        resolution: { type: error.resolution ?? null },
        signals: (error.signals ?? []).map((code) => ({ code })),
      })),
    },
    meta: {
      version: '4.0',
      webhookId: 'w',
      webhookName: 'test',
      deliveryId: randomUUID(),
      deliveredAt: options.deliveredAt,
      mode: 'LIVE',
    },
  });
}
