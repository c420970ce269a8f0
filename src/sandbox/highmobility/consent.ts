/**
 * The consent page, `GET {prefix}/oauth/new?client_id&app_id&redirect_uri&state&code_challenge`: the owner picks
 * one car (one consent is one car) and approves or denies. Rules (reference: High Mobility consumer consent):
 * - unknown `client_id`, a missing or wrong `app_id` (required here: the stricter reading of the reference), or a
 *   `redirect_uri` not registered by exact string: an error page, never a redirect;
 * - `code_challenge` (base64url SHA-256) is optional; `code_challenge_method` may be absent or `S256`;
 * - deny redirects with `error=access_denied` and the state (empty if none).
 */
import type { FastifyInstance } from 'fastify';
import { errorPage, escapeHtml, PKCE_CHALLENGE, page, redirectWith } from '../routes/html.ts';
import type { SandboxState } from '../state/sandbox-state.ts';
import type { HighMobilityState } from './state.ts';

export function consentRoutes(app: FastifyInstance, shared: SandboxState, hm: HighMobilityState, prefix: string) {
  app.get(`${prefix}/oauth/new`, async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    shared.calls.add('highmobility.authorize');
    const client = hm.client(query.client_id);
    if (!client) return errorPage(reply, 'Unknown client_id.');
    if (query.app_id !== client.appId) return errorPage(reply, 'app_id is missing or does not belong to this client.');
    if (!query.redirect_uri || !client.redirectUris.includes(query.redirect_uri)) {
      return errorPage(reply, 'redirect_uri is not registered for this app.');
    }
    if (query.code_challenge !== undefined && !PKCE_CHALLENGE.test(query.code_challenge)) {
      return errorPage(reply, 'code_challenge must be a base64url SHA-256 digest.');
    }
    if (query.code_challenge_method !== undefined && query.code_challenge_method !== 'S256') {
      return errorPage(reply, 'code_challenge_method must be S256.');
    }
    const consent = hm.startConsent({
      clientId: client.clientId,
      redirectUri: query.redirect_uri,
      state: query.state ?? '',
      codeChallenge: query.code_challenge,
    });
    const cars = shared.accounts
      .flatMap((account) =>
        account.vehicles.map(
          (vehicle, index) =>
            `<label><input type="radio" name="vehicle" value="${escapeHtml(`${account.id}:${vehicle.id}`)}"${
              index === 0 && account === shared.accounts[0] ? ' checked' : ''
            }> ${escapeHtml(`${vehicle.year} ${vehicle.make} ${vehicle.model}`)} <span class="muted">${escapeHtml(account.name)} · VIN …${escapeHtml(vehicle.vin.slice(-4))}</span></label>`,
        ),
      )
      .join('\n');
    return reply.type('text/html; charset=utf-8').send(
      page(
        'High Mobility consent',
        `<h1>Share one car's data with this app</h1>
<form method="post" action="${prefix}/oauth/decision">
<input type="hidden" name="request" value="${escapeHtml(consent.id)}">
<fieldset><legend>Your car</legend>
${cars}
</fieldset>
<button class="primary" name="decision" value="approve">Approve</button>
<button name="decision" value="deny">Deny</button>
</form>`,
      ),
    );
  });

  app.post(`${prefix}/oauth/decision`, async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, string | undefined>;
    const consent = form.request ? hm.requests.get(form.request) : undefined;
    if (!consent || consent.expiresAt <= shared.clock.now()) return errorPage(reply, 'This consent request expired.');
    if (form.decision !== 'approve') {
      hm.requests.delete(consent.id);
      return redirectWith(reply, consent.redirectUri, { error: 'access_denied', state: consent.state });
    }
    const [accountId, vehicleId] = (form.vehicle ?? '').split(':');
    const vehicle = shared.account(accountId ?? '')?.vehicles.find((candidate) => candidate.id === vehicleId);
    if (!vehicle || !accountId) return errorPage(reply, 'Choose one car.');
    const code = hm.approve(consent, {
      accountId,
      vehicleId: vehicle.id,
      vin: vehicle.vin,
      brand: vehicle.make.toLowerCase().replace(/\s+/g, '_'),
    });
    return redirectWith(reply, consent.redirectUri, { code, state: consent.state });
  });
}
