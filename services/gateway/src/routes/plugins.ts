import { operations, PLUGIN_PACKAGE_TYPES, schemas } from "@latchflow/api";
import type { pluginsV1 } from "@latchflow/proto";
import { ErrorCode, LatchflowError, validationFailed } from "@latchflow/runtime";
import type { Context } from "koa";
import type { GatewayClients } from "../clients.js";
import { implement } from "../route.js";

const toRest = (p: pluginsV1.Plugin): schemas.Plugin => ({
  name: p.name,
  version: p.version,
  // the kernel's sources are the contract's (builtin | tarball | registry)
  source: p.source as schemas.Plugin["source"],
  integrity: p.integrity,
  capabilities: p.capabilities,
  requestedHosts: p.requestedHosts,
  approvedHosts: p.approvedHosts,
  manifest: JSON.parse(p.manifestJson),
  installedAt: p.source === "builtin" ? null : (p.installedAt?.toISOString() ?? null),
  updatedAt: p.source === "builtin" ? null : (p.updatedAt?.toISOString() ?? null),
  signature: p.source === "builtin" || !p.signature ? null : signatureToRest(p.signature),
});

const signatureToRest = (s: pluginsV1.PluginSignature): schemas.PluginSignature => ({
  // the kernel's states are the contract's (trusted | untrusted | unsigned)
  state: s.state as schemas.PluginSignature["state"],
  ...(s.keyId ? { keyId: s.keyId, fingerprint: s.fingerprint, signer: s.signer } : {}),
  ...(s.publisher ? { publisher: s.publisher } : {}),
});

const keyToRest = (k: pluginsV1.PublisherKey): schemas.PublisherKey => ({
  keyId: k.keyId,
  fingerprint: k.fingerprint,
  name: k.name,
  publicKey: k.publicKey,
  addedBy: k.addedBy,
  addedAt: k.addedAt?.toISOString() ?? null,
});

/** An install's answer: the plugin, and what an upgrade did to its capabilities. */
const installedToRest = (p: pluginsV1.Plugin): schemas.InstalledPlugin => ({
  ...toRest(p),
  ...(p.upgrade
    ? {
        upgrade: {
          from: p.upgrade.fromVersion,
          newPermissions: p.upgrade.newPermissions,
          kept: p.upgrade.kept,
          awaitingApproval: p.upgrade.awaitingApproval,
          removed: p.upgrade.removed,
        },
      }
    : {}),
  ...(p.warnings.length > 0 ? { warnings: p.warnings } : {}),
});

/** An update's answer: the plugin, and (force) what was disabled while enabled pipelines use it. */
const updatedToRest = (p: pluginsV1.Plugin): schemas.UpdatedPlugin => ({
  ...toRest(p),
  ...(p.disabledInUse.length > 0 ? { disabledInUse: p.disabledInUse } : {}),
});

const secretToRest = (s: pluginsV1.PluginSecret): schemas.PluginSecret => ({
  plugin: s.plugin,
  name: s.name,
  updatedAt: s.updatedAt?.toISOString() ?? null,
});

const capabilityToRest = (c: pluginsV1.Capability): schemas.Capability => ({
  uses: c.uses,
  // capabilities are triggers or actions (the manifest's kind)
  kind: c.kind as schemas.Capability["kind"],
  plugin: c.plugin,
  pluginVersion: c.pluginVersion,
  builtin: c.builtin,
  enabled: c.enabled,
  configSchema: JSON.parse(c.configSchemaJson),
  outputsSchema: JSON.parse(c.outputsSchemaJson),
  docs: c.docs,
  ...(c.replacedBy ? { replacedBy: c.replacedBy } : {}),
});

async function tarballOf(koa: Context, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of koa.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes)
      throw new LatchflowError(ErrorCode.PayloadTooLarge, `The tarball is at most ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Plugin routes; `maxTarballBytes` is LATCHFLOW_PLUGIN_MAX_BYTES (the kernel checks it again). */
export function pluginRoutes(clients: GatewayClients, maxTarballBytes: number) {
  return [
    implement(operations.installPlugin, async ({ ctx, koa }) => {
      if (koa.is("application/json")) {
        const body = (koa.request as { body?: unknown }).body;
        const parsed = schemas.InstallPluginFromRegistry.safeParse(body);
        if (!parsed.success) throw validationFailed('Send { "package": "<name>[@<version>]" }');
        return {
          status: 201,
          body: installedToRest(
            await clients.plugins.installPluginFromRegistry({ spec: parsed.data.package }, ctx),
          ),
        };
      }
      if (!koa.is([...PLUGIN_PACKAGE_TYPES])) {
        throw new LatchflowError(
          ErrorCode.UnsupportedMediaType,
          "Send the tarball as application/gzip, or JSON { package } to install from the registry",
        );
      }
      const integrity = koa.get("x-latchflow-integrity");
      const tarball = await tarballOf(koa, maxTarballBytes);
      return {
        status: 201,
        body: installedToRest(await clients.plugins.installPlugin({ tarball, integrity }, ctx)),
      };
    }),
    implement(operations.listPlugins, async ({ ctx }) => ({
      status: 200,
      body: { items: (await clients.plugins.listPlugins({}, ctx)).plugins.map(toRest) },
    })),
    implement(operations.getPlugin, async ({ params, ctx }) => ({
      status: 200,
      body: toRest(await clients.plugins.getPlugin({ name: params.name }, ctx)),
    })),
    implement(operations.updatePlugin, async ({ params, body, ctx }) => ({
      status: 200,
      body: updatedToRest(
        await clients.plugins.updatePlugin(
          {
            name: params.name,
            capabilities: body.capabilities ?? {},
            approvedHosts: body.approvedHosts ?? [],
            setApprovedHosts: body.approvedHosts !== undefined,
            force: body.force === true,
          },
          ctx,
        ),
      ),
    })),
    implement(operations.uninstallPlugin, async ({ params, ctx }) => ({
      status: 200,
      body: toRest(await clients.plugins.uninstallPlugin({ name: params.name }, ctx)),
    })),
    implement(operations.listCapabilities, async ({ ctx }) => ({
      status: 200,
      body: {
        items: (await clients.plugins.listCapabilities({}, ctx)).capabilities.map(capabilityToRest),
      },
    })),
    implement(operations.listPluginSecrets, async ({ params, ctx }) => ({
      status: 200,
      body: {
        items: (await clients.plugins.listPluginSecrets({ plugin: params.name }, ctx)).secrets.map(
          secretToRest,
        ),
      },
    })),
    implement(operations.setPluginSecret, async ({ params, body, ctx }) => ({
      status: 200,
      body: secretToRest(
        await clients.plugins.setPluginSecret(
          { plugin: params.name, name: params.secret, value: body.value },
          ctx,
        ),
      ),
    })),
    implement(operations.listPublisherKeys, async ({ ctx }) => ({
      status: 200,
      body: { items: (await clients.plugins.listPublisherKeys({}, ctx)).keys.map(keyToRest) },
    })),
    implement(operations.addPublisherKey, async ({ body, ctx }) => ({
      status: 201,
      body: keyToRest(await clients.plugins.addPublisherKey(body, ctx)),
    })),
    implement(operations.removePublisherKey, async ({ params, ctx }) => ({
      status: 200,
      body: keyToRest(await clients.plugins.removePublisherKey({ key: params.key }, ctx)),
    })),
    implement(operations.deletePluginSecret, async ({ params, ctx }) => ({
      status: 200,
      body: secretToRest(
        await clients.plugins.deletePluginSecret({ plugin: params.name, name: params.secret }, ctx),
      ),
    })),
  ];
}
