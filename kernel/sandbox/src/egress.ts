import { lookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { type AddressClass, classifyAddress, urlHostname } from "./address.js";
import type { FetchInit, FetchResponse } from "./capabilities.js";
import { HostCallError, SandboxError, SandboxErrorCode } from "./errors.js";

/** Egress policy of one plugin: manifest allowlist ∩ admin approval, compiled by the caller. */
export interface EgressPolicy {
  /** Exact hosts (`api.example.com`, `127.0.0.1`, `::1`) or `*.suffix` (subdomains of suffix, not suffix itself). */
  allowHosts: readonly string[];
  /** Address classes allowed besides `public`. For tests only (e.g. `["loopback"]` for a local server). */
  allowAddressClasses?: readonly AddressClass[];
  /** Response body cap in bytes (default 1 MiB); larger responses fail `payload_too_large`. */
  maxResponseBytes?: number;
  /** Request body cap in bytes (default 256 KiB). */
  maxRequestBytes?: number;
  /** Whole-request time limit (default 10 s). */
  timeoutMs?: number;
  /** DNS resolution, injectable for tests; default `dns.lookup` with `all: true`. */
  resolve?: (host: string) => Promise<Array<{ address: string; family: number }>>;
}

/** A URL that passed the guard, with the address to connect to (never resolved again). */
export interface VettedTarget {
  url: URL;
  address: string;
  family: 4 | 6;
}

const denied = (message: string) => new SandboxError(SandboxErrorCode.CapabilityDenied, message);

function hostAllowed(host: string, allowHosts: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  return allowHosts.some((pattern) => {
    const p = pattern.toLowerCase().replace(/^\[|\]$/g, "");
    if (p.startsWith("*.")) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
    return h === p;
  });
}

/**
 * The guard run before every request: scheme, host allowlist, then DNS — refused if ANY resolved
 * address is not public (loopback, private, link-local, CGNAT, metadata, …) unless the policy allows
 * its class. Throws `capability_denied`.
 */
export async function vetUrl(raw: string, policy: EgressPolicy): Promise<VettedTarget> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw denied("egress: invalid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw denied(`egress: scheme ${url.protocol} refused`);
  if (url.username || url.password) throw denied("egress: credentials in URL refused");
  const host = urlHostname(url);
  if (!hostAllowed(host, policy.allowHosts)) throw denied(`egress: host ${host} is not in the allowlist`);
  const literal = classifyAddress(host) !== "invalid";
  let addresses: Array<{ address: string; family: number }>;
  try {
    addresses = literal
      ? [{ address: host, family: host.includes(":") ? 6 : 4 }]
      : await (policy.resolve ?? ((h) => lookup(h, { all: true, verbatim: true })))(host);
  } catch {
    throw new HostCallError("unavailable", `egress: cannot resolve ${host}`, true);
  }
  if (addresses.length === 0) throw denied(`egress: ${host} has no address`);
  const allowed = new Set<AddressClass>(["public", ...(policy.allowAddressClasses ?? [])]);
  for (const { address } of addresses) {
    const kind = classifyAddress(address);
    if (!allowed.has(kind) || kind === "invalid")
      throw denied(`egress: ${host} resolves to a ${kind} address`);
  }
  const first = addresses[0] as { address: string; family: number };
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}

/** The `fetch` capability: guard, then one request to the vetted address. Redirects are NOT followed. */
export function createGuardedFetch(
  policy: EgressPolicy,
): (url: string, init: FetchInit) => Promise<FetchResponse> {
  return async (raw, init) => {
    const target = await vetUrl(raw, policy);
    return request(target, init, policy);
  };
}

/** A `lookup` that connects to the vetted address only: no second resolution (DNS rebinding). */
export function pinnedLookup(target: VettedTarget): LookupFunction {
  return (_host, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
}

/** The host's timeout, or the plugin's shorter one. */
function timeoutOf(init: FetchInit, policy: EgressPolicy): number {
  const host = policy.timeoutMs ?? 10_000;
  const asked = Number(init.timeoutMs);
  return Number.isFinite(asked) && asked > 0 ? Math.min(host, Math.max(1, Math.trunc(asked))) : host;
}

function request(target: VettedTarget, init: FetchInit, policy: EgressPolicy): Promise<FetchResponse> {
  const maxResponse = policy.maxResponseBytes ?? 1_048_576;
  const body = init.body === undefined ? undefined : Buffer.from(String(init.body));
  if (body && body.length > (policy.maxRequestBytes ?? 262_144)) {
    return Promise.reject(new HostCallError("payload_too_large", "egress: request body too large"));
  }
  const pinned = pinnedLookup(target);
  const { url } = target;
  const client = url.protocol === "https:" ? https : http;
  return new Promise<FetchResponse>((resolve, reject) => {
    const req = client.request(
      {
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: (init.method ?? "GET").toUpperCase(),
        headers: { ...init.headers, ...(body ? { "content-length": String(body.length) } : {}) },
        lookup: pinned,
        timeout: timeoutOf(init, policy),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxResponse) {
            req.destroy();
            reject(new HostCallError("payload_too_large", "egress: response body too large"));
          } else chunks.push(chunk);
        });
        res.on("end", () => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers))
            if (v !== undefined) headers[k] = [v].flat().join(", ");
          resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString("utf8") });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () =>
      req.destroy(new HostCallError("deadline_exceeded", "egress: request timed out", true)),
    );
    req.on("error", (err) =>
      reject(
        err instanceof HostCallError ? err : new HostCallError("unavailable", "egress: request failed", true),
      ),
    );
    req.end(body);
  });
}
