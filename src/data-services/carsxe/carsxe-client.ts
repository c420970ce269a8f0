/**
 * Calls CarsXE with Keyfob's API key, which lives only in the upstream query string: never in a log line (no
 * upstream URL is ever logged, with or without its query), never in an answer (CarsXE echoes it in `input.key`,
 * so `input` is dropped, and an answer still holding the key anywhere is refused rather than sent). CarsXE's
 * answers map to Keyfob's errors by status and by `success`, which a 200 can carry as false:
 * - 401, 402, 403: CarsXE refused Keyfob's own key (missing, invalid, blocked, not in the plan; a keyless call may
 *   be 402 under its pay-per-call scheme): 502 `data_service_key_refused`, for an operator to act on.
 * - 404, or `success: false` saying there is no data: 404 `no_data`.
 * - 429: the monthly quota is spent: 429 `data_service_quota_exceeded`, with `retry-after` when CarsXE sends one.
 * - 400: the VIN or code was refused: 400 `bad_request`; 5xx and anything unreadable: 502 `upstream_unavailable`.
 * @see ../../../../shared/reference/vehicle-apis.md (CarsXE)
 */
import type { CarsxeSettings } from '../../config/carsxe-settings.ts';
import { ERROR_CODES, KeyfobError } from '../../errors/keyfob-error.ts';
import { callUpstream, type UpstreamAnswer } from '../../providers/upstream-client.ts';

export type CarsxeOutcome = 'ok' | 'no_data' | 'quota' | 'key_refused' | 'bad_request' | 'unavailable';

const NO_DATA_MESSAGE = /no data|could not (find|fetch)|not found/i;

function parsed(answer: UpstreamAnswer): Record<string, unknown> | undefined {
  try {
    const body = JSON.parse(answer.body.toString('utf8')) as unknown;
    return body !== null && typeof body === 'object' && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function failure(status: number, code: (typeof ERROR_CODES)[keyof typeof ERROR_CODES], message: string, extra = {}) {
  return new KeyfobError(code, status, message, { expose: true, ...extra });
}

export function createCarsxeClient(settings: CarsxeSettings, timeoutMs: number) {
  /** Classifies an answer; throws a KeyfobError for every answer that is not data. */
  function interpret(answer: UpstreamAnswer, dataField: string | undefined): Record<string, unknown> {
    const body = parsed(answer);
    const { status } = answer;
    if (status === 401 || status === 402 || status === 403) {
      throw failure(
        502,
        ERROR_CODES.DATA_SERVICE_KEY_REFUSED,
        `CarsXE refused Keyfob's API key (${status}): check CARSXE_API_KEY and the plan`,
      );
    }
    if (status === 429) {
      const retryAfter = Number(answer.headers['retry-after']);
      throw failure(429, ERROR_CODES.DATA_SERVICE_QUOTA_EXCEEDED, "Keyfob's CarsXE quota is spent for this period", {
        details: Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: Math.ceil(retryAfter) } : {},
      });
    }
    const message = typeof body?.message === 'string' ? body.message : '';
    if (status === 404 || (body?.success === false && NO_DATA_MESSAGE.test(message))) {
      throw failure(404, ERROR_CODES.NO_DATA, 'CarsXE has no data for this vehicle');
    }
    if (status === 400) throw failure(400, ERROR_CODES.BAD_REQUEST, 'CarsXE refused the VIN or code as invalid');
    const isData = body !== undefined && (dataField ? body[dataField] !== undefined : body.success === true);
    if (status !== 200 || !isData || body.success === false) {
      throw failure(502, ERROR_CODES.UPSTREAM_UNAVAILABLE, `CarsXE answered ${status} without data`, { expose: true });
    }
    const { input: _echo, ...data } = body;
    return data;
  }

  return {
    async get(
      upstreamPath: string,
      params: Record<string, string>,
      dataField?: string,
    ): Promise<{ data: Record<string, unknown>; outcome: CarsxeOutcome }> {
      const query = new URLSearchParams({ key: settings.apiKey, ...params });
      let answer: UpstreamAnswer;
      try {
        answer = await callUpstream({
          method: 'GET',
          url: `${settings.apiUrl}${upstreamPath}?${query}`,
          headers: { accept: 'application/json' },
          timeoutMs,
        });
      } catch (error) {
        // A new error without the cause: nothing of the request, its URL included, reaches a log.
        const timedOut = (error as KeyfobError).code === ERROR_CODES.UPSTREAM_TIMEOUT;
        throw timedOut
          ? failure(504, ERROR_CODES.UPSTREAM_TIMEOUT, 'CarsXE did not answer in time')
          : failure(502, ERROR_CODES.UPSTREAM_UNAVAILABLE, 'CarsXE could not be reached');
      }
      const data = interpret(answer, dataField);
      if (JSON.stringify(data).includes(settings.apiKey)) {
        throw failure(502, ERROR_CODES.UPSTREAM_UNAVAILABLE, 'CarsXE answered with something Keyfob will not pass on');
      }
      return { data, outcome: 'ok' };
    },
  };
}

/** What a KeyfobError from `get` counts as in metrics. */
export function outcomeOf(error: unknown): CarsxeOutcome {
  const code = (error as KeyfobError).code;
  if (code === ERROR_CODES.NO_DATA) return 'no_data';
  if (code === ERROR_CODES.DATA_SERVICE_QUOTA_EXCEEDED) return 'quota';
  if (code === ERROR_CODES.DATA_SERVICE_KEY_REFUSED) return 'key_refused';
  if (code === ERROR_CODES.BAD_REQUEST) return 'bad_request';
  return 'unavailable';
}

export type CarsxeClient = ReturnType<typeof createCarsxeClient>;
