/**
 * High Mobility's vehicle data (Auto API level 13) mapped into Keyfob's answer shapes, which are the Smartcar v2
 * ones the dashboard reads: distances in kilometres, fractions 0 to 1, Smartcar's enum spellings. Each answer also
 * yields the time its property was measured, which the browser sees as `sc-data-age`.
 * A property answered with `failure` (the carmaker could not read it) is a 502 naming the reason; a property the
 * answer lacks is a 501, as Smartcar answers for a capability the car does not have.
 * @see ../../../../shared/reference/vehicle-apis.md (High Mobility: Vehicle data)
 */
import { ERROR_CODES, KeyfobError } from '../../errors/keyfob-error.ts';

interface Property<T> {
  data?: T;
  timestamp?: string;
  failure?: { reason?: string; description?: string };
}
type Length = { value: number; unit: string };
type Answer = Record<string, Record<string, Property<unknown> | Array<Property<unknown>>> | undefined>;

const KILOMETRES_PER: Record<string, number> = {
  kilometers: 1,
  meters: 0.001,
  miles: 1.609344,
  feet: 0.0003048,
  yards: 0.0009144,
  centimeters: 0.00001,
};

/** A length in kilometres, two decimals. */
export function kilometres(length: Length): number {
  const factor = KILOMETRES_PER[length.unit];
  if (factor === undefined) {
    throw new KeyfobError(ERROR_CODES.PROVIDER_ERROR, 502, `High Mobility sent a length in an unknown unit`, {
      expose: true,
    });
  }
  return Number((length.value * factor).toFixed(2));
}

/** One property of the answer as sent: the first of a repeated one. */
function entry<T>(answer: unknown, capability: string, name: string): Property<T> | undefined {
  const found = (answer as Answer)[capability]?.[name];
  return (Array.isArray(found) ? found[0] : found) as Property<T> | undefined;
}

function property<T>(answer: unknown, capability: string, name: string, what: string): Property<T> | undefined {
  const single = entry<T>(answer, capability, name);
  if (single?.failure) {
    throw new KeyfobError(
      ERROR_CODES.PROVIDER_ERROR,
      502,
      `High Mobility could not read the ${what}: ${single.failure.reason ?? 'unknown reason'}`,
      { expose: true, details: { provider: 'highmobility', reason: single.failure.reason ?? null } },
    );
  }
  return single?.data === undefined ? undefined : single;
}

function required<T>(answer: unknown, capability: string, name: string, what: string): T {
  const found = property<T>(answer, capability, name, what);
  if (!found) {
    throw new KeyfobError(ERROR_CODES.NOT_CAPABLE, 501, `this vehicle reports no ${what}`, {
      details: { provider: 'highmobility' },
    });
  }
  return found.data as T;
}

const rangeOf = (answer: unknown, capability: string) => {
  const range = property<Length>(answer, capability, 'estimated_range', 'estimated range');
  return range ? kilometres(range.data as Length) : null;
};

/**
 * A route's mapping: the property it is about (its data is required, and its timestamp is the data's age), and
 * Keyfob's body from that data and, for companions such as the range, the rest of the answer.
 */
export interface Mapping {
  capability: string;
  property: string;
  what: string;
  body(data: never, answer: unknown): unknown;
}

const mapping = <T>(
  capability: string,
  name: string,
  what: string,
  body: (data: T, answer: unknown) => unknown,
): Mapping => ({ capability, property: name, what, body: body as Mapping['body'] });

const CHARGE_STATES: Record<string, string> = {
  charging: 'CHARGING',
  charging_complete: 'FULLY_CHARGED',
  fully_charged: 'FULLY_CHARGED',
};

export const MAPPINGS: Record<string, Mapping> = {
  '/odometer': mapping<Length>('diagnostics', 'odometer', 'odometer', (length) => ({ distance: kilometres(length) })),
  '/location': mapping<{ latitude: number; longitude: number }>(
    'vehicle_location',
    'coordinates',
    'location',
    ({ latitude, longitude }) => ({ latitude, longitude }),
  ),
  '/battery': mapping<number>('charging', 'battery_level', 'battery level', (level, answer) => ({
    percentRemaining: level,
    range: rangeOf(answer, 'charging'),
  })),
  '/charge': mapping<string>('charging', 'status', 'charging status', (status, answer) => {
    const plugged = property<string>(answer, 'charging', 'plugged_in', 'plug state');
    return {
      state: CHARGE_STATES[status] ?? 'NOT_CHARGING',
      isPluggedIn: plugged ? plugged.data === 'plugged_in' : status === 'charging',
    };
  }),
  '/fuel': mapping<number>('diagnostics', 'fuel_level', 'fuel level', (level, answer) => ({
    percentRemaining: level,
    range: rangeOf(answer, 'diagnostics'),
    // High Mobility reports the level, not the volume left.
    amountRemaining: null,
  })),
  '/security': mapping<string>('doors', 'locks_state', 'lock state', (state, answer) => {
    const locks = ((answer as Answer).doors?.locks ?? []) as Array<Property<{ location: string; lock_state: string }>>;
    return {
      isLocked: state === 'locked',
      doors: locks.flatMap((lock) =>
        lock.data ? [{ type: lock.data.location.toUpperCase(), status: lock.data.lock_state.toUpperCase() }] : [],
      ),
      windows: [],
      sunroof: [],
      storage: [],
      chargingPort: [],
    };
  }),
};

/** Keyfob's body for a route from High Mobility's answer. */
export function mapAnswer(answer: unknown, route: Mapping): unknown {
  return route.body(required(answer, route.capability, route.property, route.what) as never, answer);
}

/** When the route's property was measured, as the answer says. */
export function measuredAt(answer: unknown, route: Mapping): string | undefined {
  const timestamp = entry(answer, route.capability, route.property)?.timestamp;
  return typeof timestamp === 'string' ? timestamp : undefined;
}
