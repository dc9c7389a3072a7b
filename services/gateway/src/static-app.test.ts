import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { get as httpGet, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync } from "node:zlib";
import { createLogger } from "@latchflow/runtime";
import Koa from "koa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorHandler } from "./middleware/error-handler.js";
import { requestId } from "./middleware/request-id.js";
import { securityHeaders } from "./middleware/security-headers.js";
import { inlineScriptHashes, staticApps } from "./static-app.js";

const BOOT = "\n\t\t\t\timport('/portal/_app/immutable/entry/start.js');\n\t\t\t";
const SHELL = `<!doctype html><html><head><script src="/portal/x.js"></script></head><body><div><script>${BOOT}</script></div></body></html>`;
const STYLE_HASH = `sha256-${createHash("sha256").update("position: absolute").digest("base64")}`;
const JS = "export const hello = 'portal';\n".repeat(50);

let root: string;
let server: Server;
let base: string;

function serve(apps: { prefix: string; dir: string }[]): Promise<{ server: Server; base: string }> {
  const app = new Koa();
  app.use(requestId());
  app.use(errorHandler(createLogger({ level: "silent" })));
  app.use(securityHeaders({ development: true }));
  app.use(staticApps(apps, { home: "/portal/" }));
  return new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      resolve({ server: s, base: `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}` });
    });
  });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "lf-static-"));
  const dir = join(root, "build");
  mkdirSync(join(dir, "_app", "immutable"), { recursive: true });
  writeFileSync(join(dir, "200.html"), SHELL);
  writeFileSync(join(dir, "_app", "immutable", "app.js"), JS);
  writeFileSync(join(dir, "_app", "immutable", "app.js.br"), brotliCompressSync(JS));
  writeFileSync(join(dir, "manifest.webmanifest"), "{}");
  writeFileSync(join(dir, "service-worker.js"), "self.addEventListener('fetch', () => {});\n");
  writeFileSync(join(dir, "csp.json"), JSON.stringify({ styleAttr: [STYLE_HASH, "'unsafe-inline'"] }));
  writeFileSync(join(root, "secret.txt"), "not for the web");
  ({ server, base } = await serve([{ prefix: "/portal", dir }]));
});

afterAll(() => {
  server?.close();
  rmSync(root, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { headers, redirect: "manual" });

describe("staticApps", () => {
  it("sends / to the portal, and /portal to /portal/", async () => {
    const home = await get("/");
    expect(home.status).toBe(302);
    expect(home.headers.get("location")).toBe("/portal/");
    const bare = await get("/portal?x=1");
    expect(bare.status).toBe(308);
    expect(bare.headers.get("location")).toBe("/portal/?x=1");
  });

  it("answers every page path with the shell under a CSP that allows only its own origin and its bootstrap", async () => {
    const expected = `'sha256-${createHash("sha256").update(BOOT).digest("base64")}'`;
    for (const path of ["/portal/", "/portal/sign-in", "/portal/bundles/01ABC"]) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(await res.text()).toBe(SHELL);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain(`script-src 'self' ${expected}`);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      // only the build's listed style attributes, by hash (a listed keyword is not a hash: dropped)
      expect(csp).toContain(`style-src-attr 'unsafe-hashes' '${STYLE_HASH}'`);
      expect(csp).toContain("style-src 'self';");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
      expect(res.headers.get("cache-control")).toBe("no-cache");
    }
  });

  it("serves a precompressed asset when the client takes it, cached for good under _app/immutable", async () => {
    const br = await get("/portal/_app/immutable/app.js", { "accept-encoding": "gzip, br" });
    expect(br.status).toBe(200);
    expect(br.headers.get("content-encoding")).toBe("br");
    expect(br.headers.get("vary")).toContain("Accept-Encoding");
    expect(br.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await br.text()).toBe(JS); // fetch decodes it
    const plain = await fetch(`${base}/portal/_app/immutable/app.js`, {
      headers: { "accept-encoding": "identity" },
    });
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(Number(plain.headers.get("content-length"))).toBe(Buffer.byteLength(JS));
    const manifest = await get("/portal/manifest.webmanifest");
    expect(manifest.headers.get("content-type")).toMatch(/^application\/manifest\+json\b/);
    expect(manifest.headers.get("cache-control")).toBe("no-cache");
  });

  it("serves the service worker as revalidated JavaScript whose own policy lets it fetch its origin only", async () => {
    const sw = await get("/portal/service-worker.js");
    expect(sw.status).toBe(200);
    expect(sw.headers.get("content-type")).toMatch(/^text\/javascript\b/);
    expect(sw.headers.get("cache-control")).toBe("no-cache");
    expect(sw.headers.get("content-security-policy")).toBe(
      "default-src 'none'; connect-src 'self'; script-src 'self'",
    );
    // other files keep the API's policy
    const manifest = await get("/portal/manifest.webmanifest");
    expect(manifest.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(manifest.headers.get("content-security-policy")).not.toContain("connect-src");
  });

  it("answers 304 to a matching If-None-Match", async () => {
    const first = await get("/portal/manifest.webmanifest");
    const etag = first.headers.get("etag")!;
    // node:http, not fetch: fetch adds Cache-Control: no-cache to a conditional request, which rightly wins
    const status = await new Promise<number | undefined>((resolve, reject) => {
      httpGet(`${base}/portal/manifest.webmanifest`, { headers: { "if-none-match": etag } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).once("error", reject);
    });
    expect(status).toBe(304);
  });

  it("answers a missing asset, and a path leaving the folder, with a 404 in the error shape", async () => {
    for (const path of [
      "/portal/_app/immutable/missing.js",
      "/portal/..%2fsecret.txt",
      "/portal/%2e%2e/secret.txt",
      "/portal/%E0%A4%A.js",
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      const body = (await res.json()) as { error: { code: string } };
      expect(body.error.code).toBe("not_found");
    }
  });

  it("leaves other methods and paths to the API", async () => {
    const post = await fetch(`${base}/portal/`, { method: "POST" });
    expect(post.status).toBe(404);
    expect(((await post.json()) as { error: { message: string } }).error.message).toBe(
      "No route for POST /portal/",
    );
    const api = await get("/api/v1/bundles");
    expect(((await api.json()) as { error: { message: string } }).error.message).toContain("No route");
  });

  it("answers 503 unavailable while the app is not built", async () => {
    const unbuilt = await serve([{ prefix: "/portal", dir: "" }]);
    try {
      const res = await fetch(`${unbuilt.base}/portal/`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unavailable");
    } finally {
      unbuilt.server.close();
    }
  });

  it("hashes inline scripts only", () => {
    expect(inlineScriptHashes('<script src="/a.js"></script><script type="module">x()</script>')).toEqual([
      `sha256-${createHash("sha256").update("x()").digest("base64")}`,
    ]);
  });
});
