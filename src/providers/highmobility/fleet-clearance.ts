/**
 * High Mobility's fleet clearance API, called with the fleet (application) token: ask for vehicles, read their
 * status, remove them. Statuses: pending, approved, rejected, revoking, revoked, canceling, canceled. Brands use
 * High Mobility's spelling with `-` (`mercedes-benz`).
 * @see ../../../../shared/reference/vehicle-apis.md (High Mobility: Fleet clearance)
 */
import { ERROR_CODES, KeyfobError } from '../../errors/keyfob-error.ts';
import type { ClearanceItem, FleetClearance } from '../provider-adapter.ts';
import { callUpstream, jsonOf } from '../upstream-client.ts';

export const CLEARANCE_STATUSES = [
  'pending',
  'approved',
  'rejected',
  'revoking',
  'revoked',
  'canceling',
  'canceled',
  'error',
] as const;

function refused(what: string, status: number, body: Buffer): KeyfobError {
  let detail = '';
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errors?: Array<{ title?: string; detail?: string }> };
    detail = [parsed.errors?.[0]?.title, parsed.errors?.[0]?.detail].filter(Boolean).join(': ');
  } catch {}
  return new KeyfobError(
    ERROR_CODES.PROVIDER_ERROR,
    status === 404 ? 404 : 502,
    `High Mobility refused to ${what} (${status}${detail ? `: ${detail}` : ''})`,
    { expose: true },
  );
}

export function createFleetClearance(options: {
  apiUrl: string;
  timeoutMs: number;
  /** The fleet token (application-token manager), and a way to drop it when High Mobility answers 401. */
  token(): Promise<string>;
  renew(refused: string): Promise<string>;
}): FleetClearance {
  async function call(method: string, path: string, body?: unknown) {
    const send = (token: string) =>
      callUpstream({
        method,
        url: `${options.apiUrl}${path}`,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        timeoutMs: options.timeoutMs,
      });
    const token = await options.token();
    const first = await send(token);
    return first.status === 401 ? send(await options.renew(token)) : first;
  }

  return {
    async add(vehicles) {
      const answer = await call('POST', '/v1/fleets/vehicles', { vehicles });
      if (answer.status >= 300) throw refused('add the vehicles', answer.status, answer.body);
      return jsonOf<{ vehicles: ClearanceItem[] }>(answer, 'clearance answer').vehicles;
    },
    async list() {
      const answer = await call('GET', '/v1/fleets/vehicles');
      if (answer.status >= 300) throw refused('list the fleet', answer.status, answer.body);
      return jsonOf<ClearanceItem[]>(answer, 'fleet list');
    },
    async remove(vin) {
      const answer = await call('DELETE', `/v1/fleets/vehicles/${encodeURIComponent(vin)}`);
      if (answer.status >= 300) throw refused('remove the vehicle', answer.status, answer.body);
      return jsonOf<ClearanceItem>(answer, 'clearance answer');
    },
  };
}
