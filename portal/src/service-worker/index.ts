/**
 * The portal's service worker (ADR 026): the app shell and its assets are kept so the portal opens offline; the
 * portal's own GET answers (the bundle list, a bundle, the recipient) are kept from the last time they were
 * fetched and shown when the network is gone. Downloads (/dl/, /s/) and everything else go to the network
 * untouched: the download queue in the page fetches those itself, with Range.
 */
import { version } from "$app/env";
import { assets, immutable } from "$app/manifest";
import { self } from "$app/service-worker";

const SHELL_CACHE = `portal-shell-${version}`;
/** the portal's API answers; deleted on sign-out (by the page) and on a 401 */
const API_CACHE = "portal-api";
const scope = new URL(self.registration.scope);
const at = (path: string) => new URL(path.replace(/^\//, ""), scope).pathname;
/** the shell: the gateway answers it for every page path (ADR 024) */
const SHELL = scope.pathname;
const STATIC = new Set([...immutable.map((f) => at(f.path)), ...assets.map((f) => at(f.path))]);
/** the portal's GETs that may be shown from the last answer when offline */
const API_KEPT = /^\/api\/v1\/portal\/(me|bundles(\/[^/]+)?)$/;

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      await cache.addAll([SHELL, ...STATIC]);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith("portal-shell-") && key !== SHELL_CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

/** Network first; the kept copy when the network fails. */
async function networkFirst(request: Request, cacheName: string, key: string | Request): Promise<Response> {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(key, response.clone());
    else if (response.status === 401 && cacheName === API_CACHE) await caches.delete(API_CACHE);
    return response;
  } catch (err) {
    const kept = await cache.match(key);
    if (kept) return kept;
    throw err;
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== scope.origin) return;
  if (STATIC.has(url.pathname)) {
    // built files never change under the same name (a new build is a new worker and cache)
    event.respondWith(caches.match(url.pathname).then((hit) => hit ?? fetch(request)));
  } else if (request.mode === "navigate" && url.pathname.startsWith(scope.pathname)) {
    event.respondWith(networkFirst(request, SHELL_CACHE, SHELL));
  } else if (API_KEPT.test(url.pathname) && !url.search) {
    event.respondWith(networkFirst(request, API_CACHE, url.pathname));
  }
});
