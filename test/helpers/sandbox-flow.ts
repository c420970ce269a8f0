/**
 * Drives the sandbox's consent pages over HTTP as a person would with a browser: open the authorization URL,
 * pick an account, pick vehicles and permissions, approve or deny. Returns where the sandbox redirected.
 */
import { createHash, randomBytes } from 'node:crypto';

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function hiddenRequestId(html: string): string {
  const match = /name="request" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error(`no consent request id in page: ${html.slice(0, 300)}`);
  return match[1];
}

async function postForm(url: string, fields: Array<[string, string]>) {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

export interface ConsentChoices {
  account?: string;
  /** Vehicle ids to tick; default: every vehicle offered. */
  vehicles?: string[];
  /** Optional permissions to keep ticked; default: all of them. */
  permissions?: string[];
  decision?: 'approve' | 'deny';
}

/**
 * Runs High Mobility's consent page from its authorization URL: picks one car (`vehicle` as "accountId:vehicleId",
 * default the first offered) and approves or denies. Returns the redirect Location.
 */
export async function highMobilityConsent(
  authorizeUrl: string,
  choices: { vehicle?: string; decision?: 'approve' | 'deny' } = {},
): Promise<URL> {
  const first = await fetch(authorizeUrl, { redirect: 'manual' });
  const html = await first.text();
  if (first.status !== 200) throw new Error(`consent page answered ${first.status}: ${html.slice(0, 300)}`);
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1] ?? '';
  const vehicle = choices.vehicle ?? /name="vehicle" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const answer = await postForm(new URL(action, authorizeUrl).href, [
    ['request', hiddenRequestId(html)],
    ['vehicle', vehicle],
    ['decision', choices.decision ?? 'approve'],
  ]);
  if (answer.status !== 302)
    throw new Error(`decision answered ${answer.status}: ${(await answer.text()).slice(0, 300)}`);
  return new URL(answer.headers.get('location') ?? '');
}

/** Runs the consent pages from an authorization URL; returns the redirect Location (or throws with the page). */
export async function consent(authorizeUrl: string, choices: ConsentChoices = {}): Promise<URL> {
  const origin = new URL(authorizeUrl).origin;
  const first = await fetch(authorizeUrl, { redirect: 'manual' });
  if (first.status === 302) return new URL(first.headers.get('location') ?? '');
  const accountPage = await first.text();
  if (first.status !== 200) throw new Error(`authorize answered ${first.status}: ${accountPage.slice(0, 300)}`);
  const requestId = hiddenRequestId(accountPage);
  const account = choices.account ?? /name="account" value="([^"]+)"/.exec(accountPage)?.[1] ?? '';
  const second = await postForm(`${origin}/oauth/authorize/account`, [
    ['request', requestId],
    ['account', account],
  ]);
  if (second.status === 302) return new URL(second.headers.get('location') ?? '');
  const consentPage = await second.text();
  const offered = [...consentPage.matchAll(/name="vehicle" value="([^"]+)"/g)].map((m) => m[1] as string);
  const optional = [...consentPage.matchAll(/name="permission" value="([^"]+)" checked>/g)].map((m) => m[1] as string);
  const fields: Array<[string, string]> = [
    ['request', requestId],
    ['decision', choices.decision ?? 'approve'],
  ];
  for (const id of choices.vehicles ?? offered) fields.push(['vehicle', id]);
  for (const permission of choices.permissions ?? optional) fields.push(['permission', permission]);
  const third = await postForm(`${origin}/oauth/authorize/decision`, fields);
  if (third.status !== 302) throw new Error(`decision answered ${third.status}: ${(await third.text()).slice(0, 300)}`);
  return new URL(third.headers.get('location') ?? '');
}
