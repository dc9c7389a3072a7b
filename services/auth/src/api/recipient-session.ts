import type { authV1 } from "@latchflow/proto";
import type { RequestContext } from "@latchflow/runtime";
import type { EntityManager } from "@latchflow/runtime/db";
import { emitEvent as emit } from "@latchflow/runtime/db";
import type { AuthContext } from "../context.js";
import type { Recipient } from "../entities/index.js";
import { openSession } from "./sessions.js";

/**
 * Opens a recipient session on a device inside the caller's transaction and records the sign-in: the one
 * path of an emailed-code sign-in and of a confirmed pairing. Returns the grant the gateway turns into cookies.
 */
export async function openRecipientSession(
  tx: EntityManager,
  auth: AuthContext,
  ctx: RequestContext,
  recipient: Recipient,
  device: { id: string; key: string },
  method: "otp" | "pairing",
): Promise<authV1.SessionGrant> {
  const opened = openSession(
    tx,
    auth,
    ctx,
    { kind: "recipient", id: recipient.id, tenant: recipient.tenant },
    device.id,
  );
  const signedIn = { ...ctx, caller: { kind: "recipient" as const, id: recipient.id } };
  await emit(
    tx,
    signedIn,
    "auth.signin.succeeded",
    { recipientId: recipient.id },
    { method, subjectKind: "recipient", sessionId: opened.session.id },
  );
  return {
    sessionToken: opened.token,
    csrfToken: opened.csrfToken,
    expiresAt: opened.session.expiresAt,
    next: "",
    deviceKey: device.key,
    identity: {
      tenant: recipient.tenant,
      kind: "recipient",
      subjectId: recipient.id,
      email: recipient.email,
      role: "recipient",
      credentialId: opened.session.id,
      scopes: [],
      permissions: [],
      csrfHash: opened.session.csrfHash,
    },
  };
}
