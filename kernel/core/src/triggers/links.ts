import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { type Database, ErrorCode, LatchflowError } from "@latchflow/runtime";
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import { SettingRow } from "../plugins/entities.js";

/** What a signed trigger link lets its holder do: one action on one trigger, until it expires. */
export interface TriggerLinkClaims {
  tenant: string;
  pipelineId: string;
  triggerId: string;
  action: "check-in";
  /** epoch seconds */
  exp: number;
}

export interface LinkSigner {
  sign(claims: TriggerLinkClaims): string;
  /** The claims of a genuine, unexpired token; otherwise `not_found` (an invalid link reveals nothing). */
  verify(token: string, now: Date): TriggerLinkClaims;
}

const KEY_SETTING = "trigger-link-key";
const b64 = (b: Buffer) => b.toString("base64url");

/** The signing key is shared by every kernel replica through the kernel database (created once). */
async function linkKey(db: Database): Promise<Buffer> {
  const existing = await db.em().findOne(SettingRow, { key: KEY_SETTING });
  if (existing) return Buffer.from(existing.value, "hex");
  try {
    await db.em().insert(SettingRow, { key: KEY_SETTING, value: randomBytes(32).toString("hex") });
  } catch (err) {
    if (!(err instanceof UniqueConstraintViolationException)) throw err;
  }
  const row = await db.em().findOneOrFail(SettingRow, { key: KEY_SETTING });
  return Buffer.from(row.value, "hex");
}

/** Tokens `<base64url(claims JSON)>.<base64url(HMAC-SHA256)>`, compared in constant time. */
export async function createLinkSigner(db: Database): Promise<LinkSigner> {
  const key = await linkKey(db);
  const mac = (body: string) => createHmac("sha256", key).update(`lf-trigger-link:${body}`).digest();
  const invalid = () => new LatchflowError(ErrorCode.NotFound, "This link is invalid or has expired");
  return {
    sign(claims) {
      const body = b64(Buffer.from(JSON.stringify(claims)));
      return `${body}.${b64(mac(body))}`;
    },
    verify(token, now) {
      const [body, sig, extra] = String(token).split(".");
      if (!body || !sig || extra !== undefined || body.length > 2000) throw invalid();
      const expected = mac(body);
      const given = Buffer.from(sig, "base64url");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
      const claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as TriggerLinkClaims;
      if (typeof claims.exp !== "number" || claims.exp * 1000 < now.getTime()) throw invalid();
      return claims;
    },
  };
}
