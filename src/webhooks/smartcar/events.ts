/**
 * The parts of Smartcar's webhook envelope Keyfob reads: `eventId` (kept across retries), `eventType`, `vehicleId`,
 * `data.user.id`, for VEHICLE_STATE each signal's `code`, `body` and `meta.oemUpdatedAt` (a signal with a
 * `status` of ERROR instead of a body is skipped), and for VEHICLE_ERROR each error's `type`, `code`, `state`,
 * `resolution.type`, `suggestedUserMessage` and `signals[].code`. Other event types are kept as they came.
 *
 * A VEHICLE_ERROR names no time of its own but `meta.deliveredAt`, which Smartcar sets on each attempt: Keyfob
 * stores the first delivery of an event it receives (retries of it are duplicates), so that delivery's time is the
 * event's time. Unknown types and codes are kept as they came (the reference: "other codes may appear").
 * @see ../../../../shared/reference/vehicle-apis.md (Smartcar, Webhooks)
 */
import type { ReportedCondition } from '../../vehicle-status/conditions.ts';

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
  /** VEHICLE_ERROR: the troubles it reports (ERROR) or reports ended (RESOLVED). */
  conditions: ReportedCondition[];
}

const ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const CODE = /^[a-z0-9-]{1,80}$/;
const ERROR_WORD = /^[A-Z][A-Z0-9_]{0,63}$/;
const MESSAGE_CHARS = 500;

function timestampOf(value: unknown): Date | undefined {
  const date = typeof value === 'number' ? new Date(value) : typeof value === 'string' ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

/** The envelope, or a reason it is not one Keyfob can keep. */
export function readEvent(body: unknown, receivedAt: Date): SmartcarEvent | { invalid: string } {
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
  const conditions: ReportedCondition[] = [];
  if (event.eventType === 'VEHICLE_ERROR') {
    if (!Array.isArray(data.errors)) return { invalid: 'data.errors is not a list' };
    const meta = (event.meta ?? {}) as Record<string, unknown>;
    const reportedAt = timestampOf(meta.deliveredAt) ?? receivedAt;
    for (const error of data.errors as Array<Record<string, unknown>>) {
      const read = readError(error, reportedAt);
      if ('invalid' in read) return read;
      conditions.push(read);
    }
  }
  return {
    eventId: event.eventId,
    eventType: event.eventType,
    vehicleId: typeof event.vehicleId === 'string' && ID.test(event.vehicleId) ? event.vehicleId : undefined,
    userId: typeof user?.id === 'string' && ID.test(user.id) ? user.id : undefined,
    signals,
    conditions,
  };
}

/** One entry of a VEHICLE_ERROR's `errors[]`. */
function readError(error: Record<string, unknown> | null, reportedAt: Date): ReportedCondition | { invalid: string } {
  if (error === null || typeof error !== 'object') return { invalid: 'an error is not an object' };
  const { type, code, state } = error;
  if (typeof type !== 'string' || !ERROR_WORD.test(type)) return { invalid: 'an error lacks its type' };
  if (code !== null && code !== undefined && (typeof code !== 'string' || !ERROR_WORD.test(code))) {
    return { invalid: 'an error has a malformed code' };
  }
  if (state !== 'ERROR' && state !== 'RESOLVED') return { invalid: 'an error state is neither ERROR nor RESOLVED' };
  const resolution = (error.resolution as { type?: unknown } | null | undefined)?.type;
  const message = error.suggestedUserMessage;
  const signals = Array.isArray(error.signals)
    ? (error.signals as Array<{ code?: unknown } | null>)
        .map((signal) => signal?.code)
        .filter((signalCode): signalCode is string => typeof signalCode === 'string' && CODE.test(signalCode))
    : [];
  return {
    type,
    code: typeof code === 'string' ? code : '',
    state,
    resolution: typeof resolution === 'string' && ERROR_WORD.test(resolution) ? resolution : null,
    userMessage: typeof message === 'string' && message.trim() ? message.trim().slice(0, MESSAGE_CHARS) : null,
    signals,
    reportedAt,
  };
}
