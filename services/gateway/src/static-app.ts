import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, extname, join, normalize, resolve, sep } from "node:path";
import { ErrorCode, LatchflowError, notFound } from "@latchflow/runtime";
import type { Context, Middleware } from "koa";

/** A built single-page app the gateway serves from a folder (the recipient portal; ADR 024). */
export interface StaticApp {
  /** the path it is served under, e.g. `/portal` */
  prefix: string;
  /** the folder: `200.html` (the shell served for every page path), `_app/immutable/…`, static files */
  dir: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};
const SHELL = "200.html";
/** SvelteKit's service worker, at the app's root so its scope is the whole app (ADR 026) */
const WORKER = "service-worker.js";

/**
 * A worker's own policy comes from its script's response (not from the page that registered it): the API's
 * `default-src 'none'` would forbid it every fetch, so the worker may reach its own origin and nothing else.
 */
export const WORKER_CSP = "default-src 'none'; connect-src 'self'; script-src 'self'";

const quote = (hashes: string[]) => hashes.map((h) => ` '${h}'`).join("");

/**
 * The page's policy: its own origin only, no inline script but the shell's bootstrap (by hash), no inline style
 * but the exact style attributes the build lists in `csp.json` (by hash), no framing, no third party anywhere.
 */
export function appCsp(scriptHashes: string[], styleAttrHashes: string[] = []): string {
  return [
    "default-src 'none'",
    `script-src 'self'${quote(scriptHashes)}`,
    "style-src 'self'",
    ...(styleAttrHashes.length ? [`style-src-attr 'unsafe-hashes'${quote(styleAttrHashes)}`] : []),
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "worker-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** The sha256 sources of the inline scripts in a page (SvelteKit's shell has one: its bootstrap). */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const match of html.matchAll(/<script(?:\s[^>]*)?>([\s\S]*?)<\/script>/g)) {
    const tag = match[0].slice(0, match[0].indexOf(">"));
    if (/\ssrc=/.test(tag) || !match[1]) continue;
    hashes.push(`sha256-${createHash("sha256").update(match[1]).digest("base64")}`);
  }
  return hashes;
}

/** The style-attribute hashes a build lists in its `csp.json` (`{ "styleAttr": ["sha256-…"] }`), if any. */
function styleAttrHashes(dir: string): string[] {
  const path = join(dir, "csp.json");
  if (!existsSync(path)) return [];
  const parsed = JSON.parse(readFileSync(path, "utf8")) as { styleAttr?: unknown };
  const list = Array.isArray(parsed.styleAttr) ? parsed.styleAttr : [];
  return list.filter((h): h is string => typeof h === "string" && /^sha256-[A-Za-z0-9+/]+=*$/.test(h));
}

interface Loaded {
  dir: string;
  shell: Buffer;
  csp: string;
}

function load(app: StaticApp): Loaded | undefined {
  if (!app.dir) return undefined;
  const dir = resolve(app.dir);
  const shellPath = join(dir, SHELL);
  if (!existsSync(shellPath)) return undefined;
  const shell = readFileSync(shellPath);
  return { dir, shell, csp: appCsp(inlineScriptHashes(shell.toString("utf8")), styleAttrHashes(dir)) };
}

/** The file under `dir` a request path names, or undefined when it would leave the folder. */
function resolveInside(dir: string, rel: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0")) return undefined;
  const full = normalize(join(dir, decoded));
  return full === dir || full.startsWith(dir.endsWith(sep) ? dir : dir + sep) ? full : undefined;
}

function sendShell(koa: Context, loaded: Loaded): void {
  koa.status = 200;
  koa.type = TYPES[".html"]!;
  koa.set("Content-Security-Policy", loaded.csp);
  // the shell names the current build's assets: always revalidated
  koa.set("Cache-Control", "no-cache");
  koa.body = loaded.shell;
}

/** Serves a file, its precompressed `.br`/`.gz` sibling when the client accepts one. */
async function sendFile(koa: Context, path: string): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) return false;
  const ext = extname(path);
  let chosen = path;
  let size = info.size;
  const accepts = koa.get("accept-encoding");
  for (const [encoding, suffix] of [
    ["br", ".br"],
    ["gzip", ".gz"],
  ] as const) {
    if (!new RegExp(`\\b${encoding}\\b`).test(accepts)) continue;
    const packed = await stat(path + suffix).catch(() => undefined);
    if (packed?.isFile()) {
      chosen = path + suffix;
      size = packed.size;
      koa.set("Content-Encoding", encoding);
      break;
    }
  }
  koa.vary("Accept-Encoding");
  koa.status = 200;
  koa.type = TYPES[ext] ?? "application/octet-stream";
  koa.length = size;
  koa.set(
    "ETag",
    `"${info.size.toString(36)}-${info.mtimeMs.toString(36)}${chosen === path ? "" : extname(chosen)}"`,
  );
  koa.set(
    "Cache-Control",
    koa.path.includes("/_app/immutable/") ? "public, max-age=31536000, immutable" : "no-cache",
  );
  if (basename(path) === WORKER) koa.set("Content-Security-Policy", WORKER_CSP);
  if (koa.fresh) {
    koa.status = 304;
    koa.body = null;
    return true;
  }
  koa.body = koa.method === "HEAD" ? null : createReadStream(chosen, { highWaterMark: 1024 * 1024 });
  return true;
}

/**
 * Serves built single-page apps: GET/HEAD `<prefix>/…` answers the file when there is one, else the app's shell
 * (client-side routing); `<prefix>` redirects to `<prefix>/`. A missing file answers 404, a missing build 503
 * (`unavailable`), both in the API's error shape.
 * With `home`, `/` redirects there (a person opening the server's address lands in an app). Everything else
 * passes through to the API.
 */
export function staticApps(apps: StaticApp[], options: { home?: string } = {}): Middleware {
  const loaded = new Map<string, Loaded | undefined>();
  const get = (app: StaticApp) => {
    if (!loaded.get(app.prefix)) loaded.set(app.prefix, load(app));
    return loaded.get(app.prefix);
  };
  return async (koa, next) => {
    if (options.home && koa.path === "/" && (koa.method === "GET" || koa.method === "HEAD")) {
      koa.redirect(options.home);
      return;
    }
    const app = apps.find((a) => koa.path === a.prefix || koa.path.startsWith(`${a.prefix}/`));
    if (!app || (koa.method !== "GET" && koa.method !== "HEAD")) return next();
    if (koa.path === app.prefix) {
      koa.status = 308;
      koa.redirect(`${app.prefix}/${koa.querystring ? `?${koa.querystring}` : ""}`);
      return;
    }
    const files = get(app);
    if (!files) {
      throw new LatchflowError(ErrorCode.Unavailable, "This app is not built: `latchflow start` builds it", {
        details: { app: app.prefix },
      });
    }
    const rel = koa.path.slice(app.prefix.length + 1);
    const path = rel === "" ? undefined : resolveInside(files.dir, rel);
    if (path && !path.endsWith(SHELL) && (await sendFile(koa, path))) return;
    // a missing asset is a 404; any other path is a page of the app
    if (rel.startsWith("_app/") || extname(rel) !== "") throw notFound("No such file", { path: koa.path });
    sendShell(koa, files);
  };
}
