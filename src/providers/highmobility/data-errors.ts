/**
 * High Mobility's data API errors (`{ errors: [{ title, detail }] }`) in Keyfob's error shape, so the browser reads
 * one shape whatever the provider. The status stays what it means (408 asleep, 422 pending, 429 slow down) except
 * the carmaker's own trouble (5xx), which is a 502 from Keyfob's side.
 * @see ../../../../shared/reference/vehicle-apis.md (High Mobility: Vehicle data, errors)
 */
import type { TranslatedError } from '../provider-adapter.ts';

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
