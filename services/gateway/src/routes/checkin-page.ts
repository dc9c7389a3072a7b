/** The dead-man check-in pages behind the signed link in reminder emails. No script; a plain form. */

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer"><title>${esc(title)} · Latchflow</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}button{font:inherit;padding:.5rem 1rem}</style></head><body><h1>${esc(title)}</h1>${body}</body></html>`;
}

/**
 * Opening the link changes nothing (mail scanners follow links); the button POSTs. A dead-man switch that
 * a scanner could reset would never fire.
 */
export function checkInPage(pipeline: string, token: string): string {
  return page(
    "Check in",
    `<p>Pipeline <strong>${esc(pipeline)}</strong> waits for you to check in. Checking in restarts its period.</p>
<form method="post" action="/checkin/${esc(encodeURIComponent(token))}"><button>I'm here — check in</button></form>`,
  );
}

export function checkInDonePage(deadline: string): string {
  return page(
    "Checked in",
    `<p>Thank you. ${deadline ? `The next deadline is <time datetime="${esc(deadline)}">${esc(deadline)}</time>.` : ""}</p>`,
  );
}

export function invalidLinkPage(): string {
  return page(
    "Link not valid",
    "<p>This check-in link is invalid or has expired. Check in from the admin app instead.</p>",
  );
}
