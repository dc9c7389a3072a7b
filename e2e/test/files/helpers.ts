import { createHash, randomBytes } from "node:crypto";
import type { InputOf, operations } from "@latchflow/api";
import { type Browser, codeIn, type Stack } from "../stack.js";

/** Uploads bytes as a raw body and returns the file id. */
export async function upload(s: Stack, name: string, data: Buffer, folder = "/"): Promise<string> {
  const file = await s.client().uploadFile({
    body: data,
    contentType: "application/octet-stream",
    headers: { "x-file-name": encodeURIComponent(name), "x-folder": folder },
  });
  return file.id;
}

/** An assignment's limits, window and passphrase. */
export type Limits = Omit<InputOf<typeof operations.createAssignment>["body"], "recipientId">;

/** A bundle with these files at these paths, assigned to a new recipient; returns ids. */
export async function releasedBundle(
  s: Stack,
  name: string,
  files: { name: string; data: Buffer; path?: string }[],
  limits: Limits = {},
) {
  const api = s.client();
  const bundle = await api.createBundle({ body: { name } });
  const objects = [];
  for (const f of files)
    objects.push({ fileId: await upload(s, f.name, f.data), ...(f.path ? { path: f.path } : {}) });
  await api.setBundleObjects({ params: { id: bundle.id }, body: { objects } });
  const email = `${name.replace(/\W/g, "").toLowerCase()}-${randomBytes(3).toString("hex")}@example.com`;
  const recipient = await api.createRecipient({ body: { email } });
  const assignment = await api.createAssignment({
    params: { id: bundle.id },
    body: { recipientId: recipient.id, ...limits },
  });
  return { bundleId: bundle.id, recipientId: recipient.id, email, assignmentId: assignment.id, objects };
}

/** Signs a recipient in (one-time code) and returns its browser. */
export async function recipientBrowser(s: Stack, email: string): Promise<Browser> {
  const before = s.mail.to(email).length;
  const browser = s.browser();
  const portal = browser.client("recipient");
  await portal.startRecipientSignIn({ body: { email } });
  const code = codeIn((await s.mail.waitFor(email, () => s.mail.to(email).length > before)).text);
  await portal.verifyRecipientCode({ body: { email, code } });
  return browser;
}

/** Asks for a download of the bundle as the recipient signed in to `browser`: the raw answer. */
export const requestDownload = (browser: Browser, bundleId: string, passphrase?: string) =>
  browser.client("recipient").raw.consumePortalDownload({
    params: { id: bundleId },
    body: passphrase === undefined ? {} : { passphrase },
  });

/** A download granted to the recipient signed in to `browser` (fails the test when refused). */
export const grantDownload = (browser: Browser, bundleId: string, passphrase?: string) =>
  browser.client("recipient").consumePortalDownload({
    params: { id: bundleId },
    body: passphrase === undefined ? {} : { passphrase },
  });

export const sha256 = (b: Buffer | Uint8Array) => createHash("sha256").update(b).digest("hex");

/** The Cookie header a browser sends (a same-site GET of a grant URL carries the portal session). */
export const sessionOf = (browser: Browser): Record<string, string> => ({
  cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
});

export async function fetchBytes(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body };
}
