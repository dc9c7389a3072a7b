import { createHash, randomBytes } from "node:crypto";
import { expect } from "vitest";
import { http } from "../http.js";
import type { Browser, Stack } from "../stack.js";

export interface Ids {
  id: string;
}

/** Uploads bytes as a raw body and returns the file id. */
export async function upload(s: Stack, name: string, data: Buffer, folder = "/"): Promise<string> {
  const res = await s.api("POST", "/api/v1/files", {
    body: data,
    headers: {
      "content-type": "application/octet-stream",
      "x-file-name": encodeURIComponent(name),
      "x-folder": folder,
    },
  });
  expect(res.status, res.text).toBe(201);
  return (res.body as Ids).id;
}

/** A bundle with these files at these paths, assigned to a new recipient; returns ids. */
export async function releasedBundle(
  s: Stack,
  name: string,
  files: { name: string; data: Buffer; path?: string }[],
  limits: Record<string, unknown> = {},
) {
  const bundle = (await s.api("POST", "/api/v1/bundles", { json: { name } })).body as Ids;
  const objects = [];
  for (const f of files)
    objects.push({ fileId: await upload(s, f.name, f.data), ...(f.path ? { path: f.path } : {}) });
  const set = await s.api("PUT", `/api/v1/bundles/${bundle.id}/objects`, { json: { objects } });
  expect(set.status, set.text).toBe(200);
  const email = `${name.replace(/\W/g, "").toLowerCase()}-${randomBytes(3).toString("hex")}@example.com`;
  const recipient = (await s.api("POST", "/api/v1/recipients", { json: { email } })).body as Ids;
  const a = await s.api("POST", `/api/v1/bundles/${bundle.id}/assignments`, {
    json: { recipientId: recipient.id, ...limits },
  });
  expect(a.status, a.text).toBe(201);
  return { bundleId: bundle.id, recipientId: recipient.id, email, assignmentId: (a.body as Ids).id, objects };
}

/** Signs a recipient in (one-time code) and returns its browser. */
export async function recipientBrowser(s: Stack, email: string) {
  const before = s.mail.to(email).length;
  await http(s.base, "POST", "/api/v1/auth/recipient/start", { json: { email } });
  const code = /\b(\d{6})\b/.exec(
    (await s.mail.waitFor(email, () => s.mail.to(email).length > before)).text,
  )![1]!;
  const browser = s.browser();
  const res = await browser.request("POST", "/api/v1/auth/recipient/verify", { json: { email, code } });
  expect(res.status, res.text).toBe(200);
  return browser;
}

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
