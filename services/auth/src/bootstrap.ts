import { ActorKind, createEvent } from "@latchflow/bus";
import { ALL_SCOPES, DEFAULT_TENANT, type Logger, newId, Role } from "@latchflow/runtime";
import { type Database, insertEvents } from "@latchflow/runtime/db";
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import { ApiToken, User } from "./entities/index.js";
import { hashSecret, mintToken } from "./secrets.js";

export interface BootstrapOptions {
  email: string;
  /** when set, the owner's API token secret is exactly this value */
  token: string;
}

export type BootstrapResult =
  | { created: false }
  | {
      created: true;
      email: string /** set only when a token was minted (no bootstrap token given) */;
      mintedToken?: string;
    };

/**
 * First start on an empty database: creates the owner and an all-scopes API token. Does nothing once any
 * user exists. Safe with several replicas starting at once (the unique email decides the winner).
 */
export async function bootstrapOwner(
  db: Database,
  options: BootstrapOptions,
  logger: Logger,
): Promise<BootstrapResult> {
  const em = db.em();
  if ((await em.count(User, {})) > 0) return { created: false };
  const now = new Date();
  const token = options.token || mintToken(newId());
  const actor = { kind: ActorKind.System, id: "bootstrap" };
  try {
    await em.transactional(async (tx) => {
      const user = tx.create(User, {
        id: newId(now),
        tenant: DEFAULT_TENANT,
        email: options.email.toLowerCase(),
        role: Role.Owner,
        active: true,
        createdAt: now,
        lastSignInAt: null,
      });
      await tx.flush(); // the token row references the user row
      const apiToken = tx.create(ApiToken, {
        id: newId(now),
        tenant: DEFAULT_TENANT,
        userId: user.id,
        name: "bootstrap",
        tokenHash: hashSecret(token),
        scopes: ALL_SCOPES.join(" "),
        createdAt: now,
        expiresAt: null,
        lastUsedAt: null,
        revokedAt: null,
      });
      const common = { tenant: DEFAULT_TENANT, actor, occurredAt: now };
      await insertEvents(tx, [
        createEvent({
          ...common,
          type: "auth.user.created",
          subjectIds: { userId: user.id },
          data: { email: user.email, role: user.role },
        }),
        createEvent({
          ...common,
          type: "auth.token.created",
          subjectIds: { tokenId: apiToken.id, userId: user.id },
          data: { tokenId: apiToken.id, userId: user.id, scopes: [...ALL_SCOPES] },
        }),
      ]);
    });
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException) return { created: false };
    throw err;
  }
  logger.info({ email: options.email, fromEnv: Boolean(options.token) }, "owner bootstrapped");
  return options.token
    ? { created: true, email: options.email }
    : { created: true, email: options.email, mintedToken: token };
}
