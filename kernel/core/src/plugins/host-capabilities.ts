import { createHash } from "node:crypto";
import type { GrantRequest, PublishRequest } from "@latchflow/plugin-sdk";
import type { Logger, Mailer, RequestContext } from "@latchflow/runtime";
import {
  createGuardedFetch,
  type HostCapabilities,
  type Json,
  type MailMessage,
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
  const asked = new Set(entry.permissions.map((p) => p.name));
  const caps: HostCapabilities = {};
  const log = deps.logger.child({
    plugin: entry.pluginName,
    uses: entry.uses,
    tenant,
    requestId: scope.ctx.requestId,
  });
  caps.log = (level, message, fields) => log[level]({ ...fields, pluginLog: true }, message);

  if (asked.has("kv")) {
    caps.kv = {
      get: (key) => scope.kv.get(key),
      set: (key, value) => scope.kv.set(key, value),
      delete: (key) => scope.kv.delete(key),
    };
  }
  if (asked.has("secrets")) {
    caps.secrets = { get: (name) => deps.secrets(tenant, entry.pluginName, name) };
  }
  if (asked.has("emit") && scope.emits) {
    const emits = scope.emits;
    caps.emit = (event) => {
      emits.push(event);
    };
  }
  if (asked.has("mail.send")) {
    caps.mail = {
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
    };
  }
  if (asked.has("bundles.grant")) {
    caps.bundles = {
      grant: (request) =>
        deps.actions.grant(scope.ctx, request as unknown as GrantRequest, caller) as Promise<Json>,
    };
  }
  if (asked.has("links.publish")) {
    caps.links = {
      publish: (request) =>
        deps.actions.publish(scope.ctx, request as unknown as PublishRequest, caller) as Promise<Json>,
    };
  }
  if (asked.has("fetch")) {
    const hosts = egressAllowlist(entry.permissions, entry.approvedHosts);
    if (hosts.length > 0) {
      caps.fetch = createGuardedFetch({
        allowHosts: hosts,
        ...(deps.egressAllowPrivate ? { allowAddressClasses: ["loopback", "private"] } : {}),
      });
    } else {
      caps.fetch = async () => {
        throw new SandboxError(
          SandboxErrorCode.CapabilityDenied,
          `egress: no host is approved for plugin ${entry.pluginName} (an admin approves hosts with PATCH /api/v1/plugins/${entry.pluginName})`,
          { details: { reason: "egress_not_approved", plugin: entry.pluginName } },
        );
      };
    }
  }
  return caps;
}
