/**
 * What the simulators' consent pages share: escaping (every value from a request or the fleet goes through
 * `escapeHtml`), the page frame, the error page, the redirect back to the client, and the shape of a PKCE challenge.
 */
import type { FastifyReply } from 'fastify';

/** A base64url SHA-256 digest: what an S256 `code_challenge` must look like. */
export const PKCE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Sandbox Connect</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 2rem auto; padding: 0 1rem; color: #1b1f24; }
  h1 { font-size: 1.4rem; } fieldset { border: 1px solid #c8ccd0; border-radius: .5rem; margin: 1rem 0; }
  label { display: block; padding: .35rem 0; } .muted { color: #57606a; font-size: .9rem; }
  button { font-size: 1rem; padding: .6rem 1.2rem; margin-right: .5rem; border-radius: .4rem; border: 1px solid #8c959f; }
  button.primary { background: #0b5fff; color: #fff; border-color: #0b5fff; }
  .error { background: #ffebe9; border: 1px solid #ff8182; padding: 1rem; border-radius: .5rem; }
</style>
</head>
<body>
<p class="muted">Sandbox Connect: a local stand-in for a vehicle provider's consent screen.</p>
${body}
</body>
</html>`;
}

/** An error page: a request that must not be redirected (unknown client, unregistered redirect URI ...). */
export function errorPage(reply: FastifyReply, description: string) {
  return reply
    .code(400)
    .type('text/html; charset=utf-8')
    .send(
      page(
        'Error',
        `<div class="error" role="alert"><h1>This request cannot continue</h1><p>${escapeHtml(description)}</p></div>`,
      ),
    );
}

/** The redirect back to the client's redirect URI, with these parameters (undefined ones left out). */
export function redirectWith(reply: FastifyReply, redirectUri: string, params: Record<string, string | undefined>) {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return reply.redirect(url.toString(), 302);
}
