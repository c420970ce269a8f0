/**
 * High Mobility's data API errors (`{ errors: [{ title, detail }] }`) in Keyfob's error shape, so the browser reads
 * one shape whatever the provider. The status stays what it means (408 asleep, 422 pending, 429 slow down) except
 * the carmaker's own trouble (5xx), which is a 502 from Keyfob's side.
 * @see ../../../../shared/reference/vehicle-apis.md (High Mobility: Vehicle data, errors)
 */
import type { AnswerCondition, TranslatedError } from '../provider-adapter.ts';

const CODES: Record<number, string> = {
  401: 'provider_unauthorized',
  403: 'provider_forbidden',
  404: 'not_found',
  408: 'vehicle_unreachable',
  422: 'pending_approval',
  429: 'rate_limited',
};

const MESSAGES: Record<number, string> = {
  408: 'the vehicle is offline or asleep; try again later',
  422: 'the owner has not confirmed this consent at the carmaker yet; data arrives once they do',
  429: 'High Mobility asks to slow down; try again shortly',
};

function firstError(body: Buffer): { title?: string; detail?: string } {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errors?: Array<{ title?: string; detail?: string }> };
    return parsed.errors?.[0] ?? {};
  } catch {
    return {};
  }
}

/**
 * What a data answer says about the consent, by the reasons the reference lists: 401 "Consent is removed by OEM"
 * and 403 "No active consent for this vehicle" end a consumer's consent (the owner must connect the car again),
 * and for a fleet vehicle the 403 means its clearance ended. High Mobility sends no webhook for either: the call
 * that meets it is how Keyfob learns. Other 401s are a token problem, which the proxy's refresh-once handles.
 */
export function highMobilityCondition(
  status: number,
  body: Buffer,
  vehicle: { connectionKind: 'user' | 'fleet' },
): AnswerCondition | undefined {
  const detail = firstError(body).detail?.toLowerCase() ?? '';
  const removedByOem = status === 401 && detail.includes('consent is removed');
  const noConsent = status === 403 && detail.includes('no active consent');
  if (!removedByOem && !noConsent) return undefined;
  if (vehicle.connectionKind === 'fleet') return { kind: 'clearance', clearanceStatus: 'revoked' };
  return {
    kind: 'condition',
    type: 'CONSENT',
    code: removedByOem ? 'REMOVED_BY_OEM' : 'NO_ACTIVE_CONSENT',
    userMessage: 'The carmaker no longer shares this car with the app. Connect it again to continue.',
  };
}

export function translateHighMobilityError(status: number, body: Buffer): TranslatedError {
  const { title, detail } = firstError(body);
  const providerFailed = status >= 500;
  const code = providerFailed ? 'upstream_unavailable' : (CODES[status] ?? 'provider_error');
  const said = [title, detail].filter(Boolean).join(': ');
  return {
    status: providerFailed ? 502 : status,
    body: {
      error: code,
      message: MESSAGES[status] ?? (said ? `High Mobility: ${said.slice(0, 200)}` : `High Mobility answered ${status}`),
      provider: 'highmobility',
    },
  };
}
