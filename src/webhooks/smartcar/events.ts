/**
 * The parts of Smartcar's webhook envelope Keyfob reads: `eventId` (kept across retries), `eventType`, `vehicleId`,
 * `data.user.id`, and for VEHICLE_STATE each signal's `code`, `body` and `meta.oemUpdatedAt` (a signal with a
 * `status` of ERROR instead of a body is skipped). Other event types are kept as they came.
 * @see ../../../../shared/reference/vehicle-apis.md (Smartcar, Webhooks)
 */

export interface SignalValue {
  code: string;
  value: Record<string, unknown>;
  oemUpdatedAt: Date;
}

export interface SmartcarEvent {
  eventId: string;
  eventType: string;
  vehicleId: string | undefined;
  userId: string | undefined;
  signals: SignalValue[];
}

const ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const CODE = /^[a-z0-9-]{1,80}$/;

function timestampOf(value: unknown): Date | undefined {
  const date = typeof value === 'number' ? new Date(value) : typeof value === 'string' ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

/** The envelope, or a reason it is not one Keyfob can keep. */
export function readEvent(body: unknown): SmartcarEvent | { invalid: string } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { invalid: 'not a JSON object' };
  const event = body as Record<string, unknown>;
  if (typeof event.eventId !== 'string' || !ID.test(event.eventId))
    return { invalid: 'eventId is missing or malformed' };
  if (typeof event.eventType !== 'string' || !/^[A-Z_]{1,40}$/.test(event.eventType)) {
    return { invalid: 'eventType is missing or malformed' };
  }
  const data = (event.data ?? {}) as Record<string, unknown>;
  const user = data.user as { id?: unknown } | undefined;
  const signals: SignalValue[] = [];
  if (event.eventType === 'VEHICLE_STATE') {
    if (!Array.isArray(data.signals)) return { invalid: 'data.signals is not a list' };
    for (const signal of data.signals as Array<Record<string, unknown>>) {
      const code = signal?.code;
      const at = timestampOf((signal?.meta as Record<string, unknown> | undefined)?.oemUpdatedAt);
      const value = signal?.body;
      if (typeof code !== 'string' || !CODE.test(code) || !at) return { invalid: 'a signal lacks its code or time' };
      if (value === null || typeof value !== 'object' || Array.isArray(value)) continue; // an ERROR status
      signals.push({ code, value: value as Record<string, unknown>, oemUpdatedAt: at });
    }
  }
  return {
    eventId: event.eventId,
    eventType: event.eventType,
    vehicleId: typeof event.vehicleId === 'string' && ID.test(event.vehicleId) ? event.vehicleId : undefined,
    userId: typeof user?.id === 'string' && ID.test(user.id) ? user.id : undefined,
    signals,
  };
}
