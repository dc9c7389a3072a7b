// The client side of the OAuth 2.0 device authorization grant (RFC 8628) and of signing out with the token it
// gave: one implementation for the CLI (`latchflow login` / `logout`) and the VS Code extension ("Latchflow:
// Sign in" / "Sign out"). Plain code over the typed client; no zod, no Node built-ins.
import type { AnyClient } from "./client.js";
import type { DeviceCode } from "./operations/device.js";

/** RFC 8628 §3.4's grant type. */
export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/** Why a device sign-in gave no token. */
export type DeviceFlowFailure = "access_denied" | "expired_token" | "device_flow_failed";

/** The device flow ended without a token: denied in the browser, expired, or refused by the server. */
export class DeviceFlowError extends Error {
  override readonly name = "DeviceFlowError";
  constructor(
    message: string,
    readonly reason: DeviceFlowFailure,
  ) {
    super(message);
  }
}

/** Waits `ms`; rejects with an `AbortError` when `signal` aborts first. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const aborted = () => reject(Object.assign(new Error("interrupted"), { name: "AbortError" }));
    if (signal?.aborted) {
      aborted();
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      aborted();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export interface PollOptions {
  /** The client id the codes were asked for with (sent again with each poll). */
  clientId: string;
  signal?: AbortSignal;
  /** How to wait between polls (tests pass one that moves a fake clock). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The clock the codes' lifetime is counted on (ms since the epoch). */
  now?: () => number;
}

/**
 * Polls the token endpoint at the server's interval, slowing down when told (`slow_down`, with the server's new
 * interval or 5 s more), until a token comes or the sign-in is denied, expires or is refused.
 */
export async function pollForToken(api: AnyClient, code: DeviceCode, options: PollOptions): Promise<string> {
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? Date.now;
  let interval = Math.max(code.interval, 1);
  const deadline = now() + code.expires_in * 1000;
  while (now() < deadline) {
    await sleep(interval * 1000, options.signal);
    const res = await api.raw.pollDeviceToken({
      body: { grant_type: DEVICE_CODE_GRANT, device_code: code.device_code, client_id: options.clientId },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (res.ok) return res.body.access_token;
    const error = "error" in res.body && typeof res.body.error === "string" ? res.body.error : undefined;
    if (error === "authorization_pending") continue;
    if (error === "slow_down") {
      interval =
        "interval" in res.body && typeof res.body.interval === "number" ? res.body.interval : interval + 5;
      continue;
    }
    if (error === "access_denied") throw new DeviceFlowError("the sign-in was denied in the browser", error);
    if (error === "expired_token") break;
    throw new DeviceFlowError(
      `the server refused the sign-in (${error ?? res.status})`,
      "device_flow_failed",
    );
  }
  throw new DeviceFlowError("the code expired before it was approved", "expired_token");
}

/** `lf_<id>_<secret>`: the id is the token row's ULID, lowercased (the server's secrets.ts). */
const TOKEN_ID = /^lf_([0-9a-zA-Z]{26})_/;

/** The id of an API token (`lf_<id>_<secret>`), as the tokens API names it; undefined for another shape. */
export function tokenId(token: string): string | undefined {
  return TOKEN_ID.exec(token)?.[1]?.toUpperCase();
}

/**
 * Revokes the token on the server with itself (signing out). Never throws: `why` says why it was not revoked
 * (no token id, no `tokens:write`, the server unreachable…); the caller forgets the token either way.
 */
export async function revokeOwnToken(
  api: AnyClient,
  token: string,
): Promise<{ revoked: true } | { revoked: false; why: string }> {
  const id = tokenId(token);
  if (!id) return { revoked: false, why: "no token id" };
  try {
    await api.revokeToken({ params: { id }, headers: { authorization: `Bearer ${token}` } });
    return { revoked: true };
  } catch (err) {
    return { revoked: false, why: err instanceof Error ? err.message : String(err) };
  }
}
