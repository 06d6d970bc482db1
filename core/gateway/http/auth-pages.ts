/** The few HTML pages of the sign-in: no script, no external resource, everything escaped. */

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · openshell</title>
<style>
body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#222}
h1{font-size:1.3rem}.code{font:1.6rem monospace;letter-spacing:.15rem;padding:.4rem .8rem;background:#eee;display:inline-block}
label{display:block;margin:.8rem 0 .3rem}input[type=password],input[type=text]{width:100%;padding:.4rem;font:inherit}
button{margin:1rem .5rem 0 0;padding:.5rem 1.2rem;font:inherit}.error{color:#b00020}.muted{color:#666}
</style></head><body>
<h1>${esc(title)}</h1>
${body}
</body></html>
`;
}

/** Content-Security-Policy for our pages: forms may post here and, for the browser flow, redirect to the CLI. */
export function pageCsp(callbackPort?: number): string {
  const loopback = callbackPort === undefined ? '' : ` http://127.0.0.1:${callbackPort}`;
  return `default-src 'none'; style-src 'unsafe-inline'; form-action 'self'${loopback}; frame-ancestors 'none'; base-uri 'none'`;
}

const keyField = (needKey: boolean): string =>
  needKey
    ? `<label for="key">Operator key (the file <code>auth/operator.key</code> in the gateway's state directory)</label>
<input id="key" name="key" type="password" autocomplete="current-password" required>`
    : `<p class="muted">Signed in as the gateway operator.</p>`;

const errorLine = (error?: string): string => (error ? `<p class="error" role="alert">${esc(error)}</p>` : '');

export function connectPage(p: {
  id: string;
  client: string;
  code: string;
  nonce: string;
  needKey: boolean;
  gateway: string;
  error?: string;
}): string {
  return page(
    'Approve a sign-in',
    `${errorLine(p.error)}
<p><strong>${esc(p.client)}</strong> asks for access to the gateway <strong>${esc(p.gateway)}</strong>.</p>
<p>Approve only if the terminal that started this sign-in shows the same code:</p>
<p class="code" id="code">${esc(p.code)}</p>
<form method="post" action="/auth/connect/approve">
<input type="hidden" name="request" value="${esc(p.id)}">
<input type="hidden" name="csrf" value="${esc(p.nonce)}">
${keyField(p.needKey)}
<button type="submit" name="decision" value="approve" id="approve">Approve</button>
<button type="submit" name="decision" value="deny" id="deny">Deny</button>
</form>`,
  );
}

export function devicePage(p: { userCode: string; nonce: string; needKey: boolean; gateway: string; error?: string }): string {
  return page(
    'Approve a device sign-in',
    `${errorLine(p.error)}
<p>Enter the code shown by <code>openshell</code> in the terminal that is signing in to <strong>${esc(p.gateway)}</strong>.</p>
<form method="post" action="/auth/device/approve">
<input type="hidden" name="csrf" value="${esc(p.nonce)}">
<label for="user_code">Code</label>
<input id="user_code" name="user_code" type="text" value="${esc(p.userCode)}" autocomplete="off" required>
${keyField(p.needKey)}
<button type="submit" name="decision" value="approve" id="approve">Approve</button>
<button type="submit" name="decision" value="deny" id="deny">Deny</button>
</form>`,
  );
}

export function messagePage(title: string, message: string): string {
  return page(title, `<p id="message">${esc(message)}</p>`);
}
