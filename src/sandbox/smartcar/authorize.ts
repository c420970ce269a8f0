/**
 * Connect: `GET /oauth/authorize` checks the request and shows the consent pages; the person picks an account,
 * then vehicles and permissions, and approves or denies. Rules (reference: Smartcar Connect, RFC 6749 4.1,
 * RFC 7636):
 * - unknown `client_id` or a `redirect_uri` not registered by exact string: an error page, never a redirect;
 * - `response_type=code`, a `state`, a known `scope` (`required:` permissions cannot be deselected),
 *   `mode` of live|simulated|test, `approval_prompt` of auto|force, `single_select` of true|false;
 * - PKCE: `code_challenge_method` must be S256; without a challenge the request is refused when PKCE is required;
 * - deny redirects with `error=access_denied`; no vehicle to offer redirects with `error=no_vehicles`.
 */
import type { FastifyInstance } from 'fastify';
import { errorPage, escapeHtml, PKCE_CHALLENGE, page, redirectWith } from '../routes/html.ts';
import type { PendingAuthorization, SandboxState } from '../state/sandbox-state.ts';
import { PERMISSIONS, parseScope } from './permissions.ts';

type Query = Record<string, string | undefined>;
type Form = Record<string, string | string[] | undefined>;

const list = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

function offeredVehicles(state: SandboxState, pending: PendingAuthorization) {
  const account = pending.accountId ? state.account(pending.accountId) : undefined;
  return (account?.vehicles ?? []).filter(
    (vehicle) =>
      (!pending.make || vehicle.make.toUpperCase() === pending.make.toUpperCase()) &&
      (!pending.singleSelectVin || vehicle.vin === pending.singleSelectVin),
  );
}

function accountPage(state: SandboxState, pending: PendingAuthorization): string {
  const accounts = state.accounts
    .map(
      (account, index) =>
        `<label><input type="radio" name="account" value="${escapeHtml(account.id)}"${index === 0 ? ' checked' : ''}> ${escapeHtml(account.name)} <span class="muted">${escapeHtml(account.email)}</span></label>`,
    )
    .join('\n');
  return page(
    'Sign in',
    `<h1>Sign in to your vehicle account</h1>
<form method="post" action="/oauth/authorize/account">
<input type="hidden" name="request" value="${escapeHtml(pending.id)}">
<fieldset><legend>Sandbox account</legend>${accounts}</fieldset>
<button class="primary" type="submit">Continue</button>
<button type="submit" formaction="/oauth/authorize/decision" name="decision" value="deny">Cancel</button>
</form>`,
  );
}

function consentPage(state: SandboxState, pending: PendingAuthorization): string {
  const vehicles = offeredVehicles(state, pending)
    .map(
      (vehicle) =>
        `<label><input type="${pending.singleSelect ? 'radio' : 'checkbox'}" name="vehicle" value="${escapeHtml(vehicle.id)}" checked> ${escapeHtml(`${vehicle.year} ${vehicle.make} ${vehicle.model}`)}</label>`,
    )
    .join('\n');
  const permissions = pending.scopes
    .map(
      (scope) =>
        `<label><input type="checkbox" name="permission" value="${escapeHtml(scope.permission)}" checked${scope.required ? ' disabled' : ''}> ${escapeHtml(PERMISSIONS[scope.permission] ?? scope.permission)}${scope.required ? ' <span class="muted">(required)</span>' : ''}</label>`,
    )
    .join('\n');
  return page(
    'Allow access',
    `<h1><span class="muted">${escapeHtml(pending.clientId)}</span> wants access to your vehicles</h1>
<form method="post" action="/oauth/authorize/decision">
<input type="hidden" name="request" value="${escapeHtml(pending.id)}">
<fieldset><legend>Vehicles</legend>${vehicles}</fieldset>
<fieldset><legend>Permissions</legend>${permissions}</fieldset>
<button class="primary" type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`,
  );
}

export function authorizeRoutes(app: FastifyInstance, state: SandboxState) {
  app.get('/oauth/authorize', async (request, reply) => {
    const query = request.query as Query;
    const client = state.client(query.client_id ?? '');
    if (!client) return errorPage(reply, 'Unknown client_id.');
    const redirectUri = query.redirect_uri ?? '';
    if (!client.redirectUris.includes(redirectUri)) {
      return errorPage(reply, 'redirect_uri is not registered for this application (compared by exact string).');
    }
    const refuse = (error: string, description: string) =>
      redirectWith(reply, redirectUri, { error, error_description: description, state: query.state });
    if (query.response_type !== 'code') return refuse('unsupported_response_type', 'response_type must be code.');
    if (!query.state) return refuse('invalid_request', 'state is required.');
    const { scopes, unknown } = parseScope(query.scope ?? '');
    if (unknown.length > 0) return refuse('invalid_scope', `Unknown permission(s): ${unknown.join(', ')}.`);
    if (scopes.length === 0) return refuse('invalid_request', 'scope must name at least one permission.');
    if (query.mode !== undefined && !['live', 'simulated', 'test'].includes(query.mode)) {
      return refuse('invalid_request', 'mode must be live, simulated or test.');
    }
    if (query.approval_prompt !== undefined && !['auto', 'force'].includes(query.approval_prompt)) {
      return refuse('invalid_request', 'approval_prompt must be auto or force.');
    }
    if (query.single_select !== undefined && !['true', 'false'].includes(query.single_select)) {
      return refuse('invalid_request', 'single_select must be true or false.');
    }
    const challenge = query.code_challenge;
    if (challenge !== undefined) {
      if (query.code_challenge_method !== 'S256')
        return refuse('invalid_request', 'code_challenge_method must be S256.');
      if (!PKCE_CHALLENGE.test(challenge))
        return refuse('invalid_request', 'code_challenge must be 43 base64url characters.');
    } else if (state.settings.pkce === 'required') {
      return refuse('invalid_request', 'code_challenge is required (PKCE with S256).');
    }
    const pending = state.startAuthorization({
      clientId: client.clientId,
      redirectUri,
      state: query.state,
      scopes,
      codeChallenge: challenge,
      make: query.make,
      singleSelect: query.single_select === 'true' || query.single_select_vin !== undefined,
      singleSelectVin: query.single_select_vin,
    });
    return reply.type('text/html; charset=utf-8').send(accountPage(state, pending));
  });

  app.post('/oauth/authorize/account', async (request, reply) => {
    const form = (request.body ?? {}) as Form;
    const pending = state.pending.get(String(form.request ?? ''));
    if (!pending || pending.expiresAt <= state.clock.now())
      return errorPage(reply, 'This sign-in has expired. Start again from the application.');
    const account = state.account(String(form.account ?? ''));
    if (!account) return errorPage(reply, 'Choose an account.');
    pending.accountId = account.id;
    if (offeredVehicles(state, pending).length === 0) {
      state.pending.delete(pending.id);
      return redirectWith(reply, pending.redirectUri, {
        error: 'no_vehicles',
        error_description: 'No vehicles found for this account.',
        state: pending.state,
      });
    }
    return reply.type('text/html; charset=utf-8').send(consentPage(state, pending));
  });

  app.post('/oauth/authorize/decision', async (request, reply) => {
    const form = (request.body ?? {}) as Form;
    const pending = state.pending.get(String(form.request ?? ''));
    if (!pending || pending.expiresAt <= state.clock.now())
      return errorPage(reply, 'This sign-in has expired. Start again from the application.');
    if (form.decision === 'deny') {
      state.pending.delete(pending.id);
      return redirectWith(reply, pending.redirectUri, {
        error: 'access_denied',
        error_description: 'User denied access to application.',
        state: pending.state,
      });
    }
    if (form.decision !== 'approve' || !pending.accountId) return errorPage(reply, 'Choose Allow or Deny.');
    const offered = new Set(offeredVehicles(state, pending).map((vehicle) => vehicle.id));
    const chosen = list(form.vehicle).filter((id) => offered.has(id));
    if (chosen.length === 0) return reply.type('text/html; charset=utf-8').code(400).send(consentPage(state, pending));
    if (pending.singleSelect && chosen.length > 1) return errorPage(reply, 'Choose one vehicle.');
    const optional = new Set(list(form.permission));
    // Disabled checkboxes are not submitted: required permissions are granted whatever the form says.
    const granted = pending.scopes
      .filter((scope) => scope.required || optional.has(scope.permission))
      .map((s) => s.permission);
    state.pending.delete(pending.id);
    const code = state.tokens.issueCode({
      clientId: pending.clientId,
      redirectUri: pending.redirectUri,
      accountId: pending.accountId,
      vehicleIds: chosen,
      scopes: granted,
      codeChallenge: pending.codeChallenge,
    });
    return redirectWith(reply, pending.redirectUri, { code, state: pending.state });
  });
}
