import { createHash } from "node:crypto";
import type { GrantRequest, PublishRequest } from "@latchflow/plugin-sdk";
import { grantedPermissions } from "@latchflow/plugin-sdk/invocation";
import type { Logger, Mailer, RequestContext } from "@latchflow/runtime";
import {
  createGuardedFetch,
  type HostCapabilities,
  type HostMemberTypes,
  type Json,
  type MailMessage,
  type MemberOf,
  memberOf,
  type PermissionName,
  SandboxError,
  SandboxErrorCode,
} from "@latchflow/sandbox";
import { egressAllowlist } from "./approvals.js";
import type { Kv } from "./kv.js";
import type { CapabilityEntry } from "./registry.js";
import { checkKey, type ServiceActions } from "./service-actions.js";

export interface InvocationScope {
  tenant: string;
  entry: CapabilityEntry;
  /** `<pipelineId>/<stepId or triggerId>`: where the invocation runs (idempotency keys are scoped by it) */
  site: string;
  ctx: RequestContext;
  kv: Kv;
  /** triggers only: where `emit` collects fired events */
  emits?: Json[];
}

export interface HostDeps {
  mailer: Mailer;
  actions: ServiceActions;
  secrets: (tenant: string, plugin: string, name: string) => Promise<string | null>;
  logger: Logger;
  /** dev/test only: let plugins reach loopback and private addresses */
  egressAllowPrivate: boolean;
}

/** A deterministic Message-ID for an idempotency key: a resend after a crash carries the same id. */
export function messageIdFor(tenant: string, key: string): string {
  const hash = createHash("sha256").update(`${tenant}\0${key}`).digest("hex").slice(0, 32);
  return `<${hash}@latchflow>`;
}

/**
 * The host capabilities one invocation gets: only what the plugin's manifest asks for (egress: ∩ what an
 * admin approved for the plugin, built-ins included), scoped to the tenant, the plugin and the pipeline. Mail,
 * grants and links are idempotent on the key the plugin passes, namespaced by tenant, plugin, pipeline and step
 * (a key reused elsewhere acts again, it never returns another pipeline's result).
 */
export function hostCapabilities(deps: HostDeps, scope: InvocationScope): HostCapabilities {
  const { entry, tenant } = scope;
  const caller = `${entry.pluginName}:${scope.site}`;
  const log = deps.logger.child({
    plugin: entry.pluginName,
    uses: entry.uses,
    tenant,
    requestId: scope.ctx.requestId,
  });
  // one builder per permission of the vocabulary table (a permission the table gains does not compile
  // without one); each gives the member that permission grants, or undefined when it cannot be granted here
  const grants: { [P in PermissionName]: () => HostMemberTypes[MemberOf<P>] | undefined } = {
    kv: () => ({
      get: (key) => scope.kv.get(key),
      set: (key, value) => scope.kv.set(key, value),
      delete: (key) => scope.kv.delete(key),
    }),
    secrets: () => ({ get: (name) => deps.secrets(tenant, entry.pluginName, name) }),
    log: () => (level, message, fields) => log[level]({ ...fields, pluginLog: true }, message),
    emit: () => {
      const emits = scope.emits;
      return emits
        ? (event) => {
            emits.push(event);
          }
        : undefined;
    },
    "mail.send": () => ({
      send: (message: MailMessage) =>
        deps.actions.once(tenant, `mail:${caller}:${checkKey(message.idempotencyKey)}`, async () => {
          const sent = await deps.mailer.send({
            to: message.to,
            ...(message.cc?.length ? { cc: message.cc } : {}),
            subject: message.subject,
            text: message.text,
            ...(message.html !== undefined ? { html: message.html } : {}),
            messageId: messageIdFor(tenant, `${caller}:${message.idempotencyKey}`),
          });
          return { messageId: sent.messageId, accepted: sent.accepted };
        }) as Promise<{ messageId: string }>,
    }),
    "bundles.grant": () => ({
      grant: (request) =>
        deps.actions.grant(scope.ctx, request as unknown as GrantRequest, caller) as Promise<Json>,
    }),
    "links.publish": () => ({
      publish: (request) =>
        deps.actions.publish(scope.ctx, request as unknown as PublishRequest, caller) as Promise<Json>,
    }),
    fetch: () => {
      const hosts = egressAllowlist(entry.permissions, entry.approvedHosts);
      if (hosts.length > 0) {
        return createGuardedFetch({
          allowHosts: hosts,
          ...(deps.egressAllowPrivate ? { allowAddressClasses: ["loopback", "private"] } : {}),
        });
      }
      return async () => {
        throw new SandboxError(
          SandboxErrorCode.CapabilityDenied,
          `egress: no host is approved for plugin ${entry.pluginName} (an admin approves hosts with PATCH /api/v1/plugins/${entry.pluginName})`,
          { details: { reason: "egress_not_approved", plugin: entry.pluginName } },
        );
      };
    },
  };
  // `log` is always granted; the rest only when the manifest asks for it
  const caps: Record<string, unknown> = {};
  for (const permission of grantedPermissions(entry.permissions)) {
    const member = grants[permission]();
    if (member !== undefined) caps[memberOf(permission)] = member;
  }
  return caps as HostCapabilities;
}
