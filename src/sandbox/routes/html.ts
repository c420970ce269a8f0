/** Escaping for the consent pages: every value from a request or the fleet goes through `escapeHtml`. */
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
