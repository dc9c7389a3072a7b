import { createHmac, hkdfSync, randomBytes } from "node:crypto";
import { macTextMatches } from "@latchflow/runtime";
import type { Kek } from "../crypto/key-wrap.js";

/**
 * Capabilities of the byte plane (ADR 036): bearer tokens the storage service mints (over gRPC, for a caller
 * it trusts with the tenant's blobs) and verifies (on its HTTP endpoint). A token names exactly one request:
 * a read of one blob's plaintext range, or one upload, with the request context it acts for and an expiry.
 *
 * token = base64url(JSON claims) "." base64url(HMAC-SHA256(capability key, "LFCAP1." ‖ claims part))
 * The capability key is derived (HKDF-SHA256) from the current master key, so every storage replica
 * verifies what another minted and nothing outside storage can mint; rotating the master key only voids
 * tokens minted before (they live 60 seconds).
 */
export const CAPABILITY_TTL_MS = 60_000;

interface Common {
  /** random id: single use of write tokens */
  jti: string;
  tenant: string;
  requestId: string;
  /** the actor of the request (events record it) */
  actor?: { kind: string; id: string; userId?: string };
  /** expiry, epoch ms */
  exp: number;
}

export interface ReadClaims extends Common {
  op: "read";
  blobId: string;
  offset: number;
  length: number;
}

export interface WriteClaims extends Common {
  op: "write";
  expectedSize?: number;
  /** 0 = no limit */
  limitBytes: number;
}

export type Claims = ReadClaims | WriteClaims;

/** What a caller asks to mint: the claims without expiry and id (distributed over the union). */
export type Unminted = Omit<ReadClaims, "exp" | "jti"> | Omit<WriteClaims, "exp" | "jti">;

/** Why a token was refused (the HTTP answer says only "401 unauthenticated" with this reason). */
export type RefusalReason = "missing" | "malformed" | "bad_signature" | "expired" | "wrong_operation";

export class CapabilityRefused extends Error {
  constructor(readonly reason: RefusalReason) {
    super(`capability refused: ${reason}`);
  }
}

const b64url = (b: Buffer) => b.toString("base64url");

export function createCapabilities(kek: Kek, now: () => number = Date.now) {
  const key = Buffer.from(
    hkdfSync("sha256", kek.key, Buffer.alloc(0), "latchflow-storage-capability-v1", 32),
  );
  const sign = (body: string) => createHmac("sha256", key).update("LFCAP1.").update(body).digest();

  return {
    /** Mints a token for these claims (expiry and id filled in). */
    mint(claims: Unminted): { token: string; expiresAt: Date } {
      const exp = now() + CAPABILITY_TTL_MS;
      const full = { ...claims, exp, jti: b64url(randomBytes(12)) };
      const body = b64url(Buffer.from(JSON.stringify(full), "utf8"));
      return { token: `${body}.${b64url(sign(body))}`, expiresAt: new Date(exp) };
    },

    /** The claims of a valid, unexpired token for `op`; throws CapabilityRefused otherwise. */
    verify<O extends Claims["op"]>(token: string | undefined, op: O): Extract<Claims, { op: O }> {
      if (!token) throw new CapabilityRefused("missing");
      const dot = token.indexOf(".");
      if (dot <= 0 || dot !== token.lastIndexOf(".")) throw new CapabilityRefused("malformed");
      const body = token.slice(0, dot);
      if (!macTextMatches(token.slice(dot + 1), sign(body))) {
        throw new CapabilityRefused("bad_signature");
      }
      let claims: Claims;
      try {
        claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Claims;
      } catch {
        throw new CapabilityRefused("malformed");
      }
      if (typeof claims.exp !== "number" || claims.exp <= now()) throw new CapabilityRefused("expired");
      if (claims.op !== op) throw new CapabilityRefused("wrong_operation");
      return claims as Extract<Claims, { op: O }>;
    },
  };
}

export type Capabilities = ReturnType<typeof createCapabilities>;
