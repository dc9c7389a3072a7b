import type { EventBus, EventPayload, EventType, Subscription } from "@latchflow/bus";
import { subjectFilter } from "@latchflow/bus";
import type { Logger } from "@latchflow/runtime";
import { ulid } from "ulid";
import type { GatewayClients } from "./clients.js";
import type { IdentityCache } from "./identity-cache.js";

type Drops = { [T in EventType]?: (data: EventPayload<T>) => string[] };

/**
 * The auth events after which a cached identity may be wrong (revoked, ended, narrowed), and the subject or
 * credential ids whose identities they drop (ADR 054).
 */
export const IDENTITY_DROPS: Drops = {
  "auth.session.revoked": (d) => [d.sessionId, d.subjectId],
  "auth.token.revoked": (d) => [d.tokenId, d.userId],
  "auth.token.rotated": (d) => [d.tokenId, d.userId],
  "auth.user.role-changed": (d) => [d.userId],
  "auth.user.deactivated": (d) => [d.userId],
  // a grant may be a denial
  "auth.permission.granted": (d) => [d.userId],
  "auth.permission.revoked": (d) => [d.userId],
  "auth.recipient.updated": (d) => [d.recipientId],
  "auth.recipient.deleted": (d) => [d.recipientId],
  "auth.recipient-device.forgotten": (d) => [d.recipientId],
};

/**
 * The other auth events: they only create or widen (a refused credential is never cached), or change nothing
 * an identity holds. Every auth event is in exactly one of the two lists (a test holds it), so a new one is
 * classified when it is added.
 */
export const IDENTITY_KEEPS: readonly EventType[] = [
  "auth.user.created",
  "auth.user.invited",
  "auth.user.reactivated",
  "auth.signin.succeeded",
  "auth.signin.failed",
  "auth.magic-link.sent",
  "auth.otp.sent",
  "auth.otp.verified",
  "auth.otp.failed",
  "auth.token.created",
  "auth.device.requested",
  "auth.device.approved",
  "auth.device.denied",
  "auth.recipient.created",
  "auth.recipient-device.renamed",
  "auth.pairing.started",
  "auth.pairing.claimed",
  "auth.pairing.approved",
  "auth.pairing.denied",
];

/**
 * Drops cached identities on this gateway whenever an auth event says they may be wrong, whichever gateway or
 * service caused it: an ephemeral consumer of this gateway alone, so every gateway sees every event.
 */
export function subscribeIdentityDrops(
  bus: EventBus,
  cache: IdentityCache,
  logger: Logger,
): Promise<Subscription> {
  return bus.subscribeBatch(
    {
      consumer: `gateway-identity-${ulid()}`,
      metricsName: "gateway-identity",
      filter: subjectFilter({ domain: "auth" }),
      ephemeral: true,
      maxBatch: 100,
    },
    async (items) => {
      for (const { event } of items) {
        const drop = IDENTITY_DROPS[event.type] as ((data: unknown) => string[]) | undefined;
        if (!drop) continue;
        cache.drop(drop(event.data));
        logger.debug({ type: event.type, eventId: event.id }, "cached identities dropped");
      }
    },
  );
}

/** Auth calls that change nothing: every other one clears the cache when it returns (or fails). */
const AUTH_READS = new Set<string>([
  "authenticate",
  "checkAuthRateLimit",
  "getDeviceAuthorization",
  "getPairing",
  "getRecipient",
  "getUser",
  "listPermissions",
  "listRecipientDevices",
  "listRecipients",
  "listSessions",
  "listTokens",
  "listUsers",
]);

/**
 * The auth client the gateway's routes use: Authenticate answered from the cache when it can (successes are
 * stored), and every auth change made through this gateway clearing the cache before its caller gets the
 * answer, so the caller's own revocation holds for their next request without waiting for its event.
 */
export function cachingAuthClient(
  auth: GatewayClients["auth"],
  cache: IdentityCache,
): GatewayClients["auth"] {
  const authenticate: GatewayClients["auth"]["authenticate"] = async (req, ...rest) => {
    const found = cache.lookup(req.kind, req.token);
    if ("identity" in found) return found.identity;
    const identity = await auth.authenticate(req, ...rest);
    cache.store(found.ticket, identity);
    return identity;
  };
  return new Proxy(auth, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === "authenticate") return authenticate;
      if (
        typeof prop !== "string" ||
        prop.startsWith("$") ||
        AUTH_READS.has(prop) ||
        typeof value !== "function"
      ) {
        return value;
      }
      return async (...args: unknown[]) => {
        try {
          return await value.apply(target, args);
        } finally {
          cache.clear();
        }
      };
    },
  });
}
