/**
 * What crosses the proxy. Toward the provider: only these request headers from the browser (never its cookies,
 * its Authorization, or hop-by-hop headers). Back to the browser: only these answer headers (never the
 * provider's set-cookie or auth headers).
 */
export const FORWARDED_REQUEST_HEADERS = ['accept', 'accept-language', 'content-type', 'sc-unit-system'] as const;

export function isReturnedHeader(name: string): boolean {
  return name === 'content-type' || name === 'retry-after' || name.startsWith('sc-');
}
