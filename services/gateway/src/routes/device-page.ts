/** The minimal device-approval pages served until the admin app exists. No script; plain forms. */

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)} · Latchflow</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}input,button{font:inherit;padding:.4rem .6rem}code{font-size:1.3rem;letter-spacing:.1rem}</style></head><body><h1>${esc(title)}</h1>${body}</body></html>`;
}

export function signInPage(userCode: string): string {
  return page(
    "Sign in to approve a device",
    `<p>Sign in first; the link we email brings you back here.</p>
<form method="post" action="/device/sign-in"><input type="hidden" name="user_code" value="${esc(userCode)}">
<label>Email <input type="email" name="email" required autocomplete="email"></label> <button>Email me a link</button></form>`,
  );
}

export function checkEmailPage(): string {
  return page(
    "Check your email",
    "<p>If the address belongs to a user, a sign-in link is on its way. It works once, for 15 minutes.</p>",
  );
}

export function enterCodePage(error = ""): string {
  return page(
    "Approve a device",
    `${error ? `<p role="alert">${esc(error)}</p>` : ""}<form method="get" action="/device"><label>Code shown by the device <input name="user_code" required placeholder="XXXX-XXXX" autocomplete="off"></label> <button>Continue</button></form>`,
  );
}

export function decidePage(
  info: { userCode: string; clientId: string; scopes: string[]; email: string },
  csrf: string,
): string {
  const scopes = info.scopes.length
    ? info.scopes.map((s) => `<li><code>${esc(s)}</code></li>`).join("")
    : "<li>your role's default scopes</li>";
  return page(
    "Approve a device",
    `<p>Signed in as ${esc(info.email)}. <strong>${esc(info.clientId)}</strong> asks for an API token with:</p><ul>${scopes}</ul>
<p>Code: <code>${esc(info.userCode)}</code> — make sure it matches the one on the device.</p>
<form method="post" action="/device"><input type="hidden" name="user_code" value="${esc(info.userCode)}"><input type="hidden" name="csrf_token" value="${esc(csrf)}">
<button name="decision" value="approve">Approve</button> <button name="decision" value="deny">Deny</button></form>`,
  );
}

export function decidedPage(approved: boolean): string {
  return page(
    approved ? "Device approved" : "Device denied",
    approved
      ? "<p>You can return to your device; it will finish signing in.</p>"
      : "<p>The device was refused. You can close this page.</p>",
  );
}
