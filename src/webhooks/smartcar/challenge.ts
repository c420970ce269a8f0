/**
 * Smartcar's verification challenge, in its current form (`eventType: "VERIFY"`, `data.challenge`) and the older
 * one (`eventName: "verify"`, `payload.challenge`), answered `{ challenge: hex HMAC(AMT, challenge) }`.
 *
 * That answer is exactly a signature: answering any challenge would sign any body an attacker chose as one. So only
 * a challenge of 1 to 128 characters of `[A-Za-z0-9_-]` is answered: such a string can never be a JSON document
 * Keyfob accepts as an event, so its signature signs nothing Keyfob would act on. Whether Smartcar signs VERIFY is
 * not known (UNCONFIRMED in the reference): a signed one must carry a valid signature; an unsigned one is
 * answered only under this rule.
 * @see ../../../../shared/reference/vehicle-apis.md (Smartcar, Webhooks)
 */

export const CHALLENGE_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** The challenge of a VERIFY or verify body, whatever its format; undefined when the body is not one. */
export function challengeOf(body: unknown): { challenge: unknown } | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const event = body as Record<string, unknown>;
  if (event.eventType === 'VERIFY')
    return { challenge: (event.data as Record<string, unknown> | undefined)?.challenge };
  if (event.eventName === 'verify')
    return { challenge: (event.payload as Record<string, unknown> | undefined)?.challenge };
  return undefined;
}

export function answerableChallenge(challenge: unknown): challenge is string {
  return typeof challenge === 'string' && CHALLENGE_PATTERN.test(challenge);
}
