import type { pluginsV1 } from "@latchflow/proto";
import { ErrorCode, LatchflowError, Scope, validationFailed } from "@latchflow/runtime";
import type { Context } from "koa";
import { z } from "zod";
import type { GatewayClients } from "../clients.js";
import { defineRoute } from "../route.js";
import { ErrorResponse, errorResponses } from "../schemas.js";

const PackageName = z
  .string()
  .max(214)
  .regex(/^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/, "must be an npm package name");
const NameParams = z.strictObject({ name: PackageName });
const SecretParams = z.strictObject({
  name: PackageName,
  secret: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,99}$/, "letters, digits, _ . - (≤ 100)"),
});

const Plugin = z
  .object({
    name: z.string(),
    version: z.string(),
    source: z.enum(["builtin", "tarball", "registry"]),
    integrity: z.string(),
    capabilities: z.array(z.object({ uses: z.string(), kind: z.string(), enabled: z.boolean() })),
    requestedHosts: z.array(z.string()),
    approvedHosts: z.array(z.string()),
    manifest: z.unknown(),
    installedAt: z.string().nullable(),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: "Plugin" });

const toRest = (p: pluginsV1.Plugin) => ({
  name: p.name,
  version: p.version,
  source: p.source,
  integrity: p.integrity,
  capabilities: p.capabilities,
  requestedHosts: p.requestedHosts,
  approvedHosts: p.approvedHosts,
  manifest: JSON.parse(p.manifestJson),
  installedAt: p.source === "builtin" ? null : (p.installedAt?.toISOString() ?? null),
  updatedAt: p.source === "builtin" ? null : (p.updatedAt?.toISOString() ?? null),
});

const secretToRest = (s: pluginsV1.PluginSecret) => ({
  plugin: s.plugin,
  name: s.name,
  updatedAt: s.updatedAt?.toISOString() ?? null,
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
  const tag = "plugins";
  const admin = { kind: "user", scope: Scope.PluginsAdmin } as const;
  const notFound = { 404: { description: "No such plugin", schema: ErrorResponse } };
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/plugins",
      operationId: "installPlugin",
      summary:
        'Install or upgrade a plugin: a tarball from `latchflow-plugin pack` (application/gzip), or JSON `{ package: "name@version" }` from the npm registry (sha512 integrity verified). Capabilities start disabled.',
      tag,
      access: admin,
      responses: {
        ...errorResponses,
        201: { description: "Installed", schema: Plugin },
        422: { description: "Not a valid plugin package", schema: ErrorResponse },
      },
      handler: async ({ ctx, koa }) => {
        if (koa.is("application/json")) {
          const body = (koa.request as { body?: unknown }).body;
          const parsed = z.strictObject({ package: z.string().min(1).max(260) }).safeParse(body);
          if (!parsed.success) throw validationFailed('Send { "package": "<name>[@<version>]" }');
          return {
            status: 201,
            body: toRest(await clients.plugins.installPluginFromRegistry({ spec: parsed.data.package }, ctx)),
          };
        }
        if (!koa.is(["application/gzip", "application/x-gzip", "application/octet-stream"])) {
          throw new LatchflowError(
            ErrorCode.UnsupportedMediaType,
            "Send the tarball as application/gzip, or JSON { package } to install from the registry",
          );
        }
        const integrity = koa.get("x-latchflow-integrity");
        const tarball = await tarballOf(koa, maxTarballBytes);
        return {
          status: 201,
          body: toRest(await clients.plugins.installPlugin({ tarball, integrity }, ctx)),
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/plugins",
      operationId: "listPlugins",
      summary: "Built-in and installed plugins",
      tag,
      access: admin,
      responses: {
        200: { description: "Plugins", schema: z.object({ items: z.array(Plugin) }) },
        ...errorResponses,
      },
      handler: async ({ ctx }) => ({
        status: 200,
        body: { items: (await clients.plugins.listPlugins({}, ctx)).plugins.map(toRest) },
      }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/plugins/:name",
      operationId: "getPlugin",
      summary:
        "One plugin, built-in (by name, e.g. `latchflow-http`, or by capability, e.g. `http`) or installed, with its capabilities, requested and approved egress hosts",
      tag,
      access: admin,
      params: NameParams,
      responses: { 200: { description: "The plugin", schema: Plugin }, ...notFound, ...errorResponses },
      handler: async ({ params, ctx }) => ({
        status: 200,
        body: toRest(await clients.plugins.getPlugin({ name: params.name }, ctx)),
      }),
    }),
    defineRoute({
      method: "patch",
      path: "/api/v1/plugins/:name",
      operationId: "updatePlugin",
      summary:
        "Enable or disable capabilities; approve egress hosts (concrete hosts the manifest asks for; `*` asks for any). Built-ins too: with no approved host, a plugin's `fetch` (http@1's call) is refused. Audited as plugins.plugin.updated.",
      tag,
      access: admin,
      params: NameParams,
      body: z
        .strictObject({
          capabilities: z.record(z.string().max(300), z.boolean()).optional(),
          approvedHosts: z.array(z.string().min(1).max(253)).max(100).optional(),
        })
        .meta({ id: "UpdatePlugin" }),
      responses: { 200: { description: "Updated", schema: Plugin }, ...notFound, ...errorResponses },
      handler: async ({ params, body, ctx }) => ({
        status: 200,
        body: toRest(
          await clients.plugins.updatePlugin(
            {
              name: params.name,
              capabilities: body.capabilities ?? {},
              approvedHosts: body.approvedHosts ?? [],
              setApprovedHosts: body.approvedHosts !== undefined,
            },
            ctx,
          ),
        ),
      }),
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/plugins/:name",
      operationId: "uninstallPlugin",
      summary: "Uninstall a plugin (refused while a pipeline uses it); its secrets are deleted",
      tag,
      access: admin,
      params: NameParams,
      responses: {
        200: { description: "Uninstalled", schema: Plugin },
        409: { description: "Pipelines still use it", schema: ErrorResponse },
        ...notFound,
        ...errorResponses,
      },
      handler: async ({ params, ctx }) => ({
        status: 200,
        body: toRest(await clients.plugins.uninstallPlugin({ name: params.name }, ctx)),
      }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/capabilities",
      operationId: "listCapabilities",
      summary: "Every capability with its config schema and docs (the editor's completion source)",
      tag,
      access: { kind: "user", scope: Scope.PipelinesWrite },
      responses: { 200: { description: "Capabilities" }, ...errorResponses },
      handler: async ({ ctx }) => ({
        status: 200,
        body: {
          items: (await clients.plugins.listCapabilities({}, ctx)).capabilities.map((c) => ({
            uses: c.uses,
            kind: c.kind,
            plugin: c.plugin,
            pluginVersion: c.pluginVersion,
            builtin: c.builtin,
            enabled: c.enabled,
            configSchema: JSON.parse(c.configSchemaJson),
            outputsSchema: JSON.parse(c.outputsSchemaJson),
            docs: c.docs,
          })),
        },
      }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/plugins/:name/secrets",
      operationId: "listPluginSecrets",
      summary: "Names of a plugin's secrets (values never come back)",
      tag,
      access: admin,
      params: NameParams,
      responses: { 200: { description: "Secret names" }, ...errorResponses },
      handler: async ({ params, ctx }) => ({
        status: 200,
        body: {
          items: (await clients.plugins.listPluginSecrets({ plugin: params.name }, ctx)).secrets.map(
            secretToRest,
          ),
        },
      }),
    }),
    defineRoute({
      method: "put",
      path: "/api/v1/plugins/:name/secrets/:secret",
      operationId: "setPluginSecret",
      summary: "Set a plugin secret (sealed with the master key; write-only)",
      tag,
      access: admin,
      params: SecretParams,
      body: z.strictObject({ value: z.string().min(1).max(16_384) }).meta({ id: "SetPluginSecret" }),
      responses: { 200: { description: "Stored" }, ...notFound, ...errorResponses },
      handler: async ({ params, body, ctx }) => ({
        status: 200,
        body: secretToRest(
          await clients.plugins.setPluginSecret(
            { plugin: params.name, name: params.secret, value: body.value },
            ctx,
          ),
        ),
      }),
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/plugins/:name/secrets/:secret",
      operationId: "deletePluginSecret",
      summary: "Delete a plugin secret",
      tag,
      access: admin,
      params: SecretParams,
      responses: { 200: { description: "Deleted" }, ...notFound, ...errorResponses },
      handler: async ({ params, ctx }) => ({
        status: 200,
        body: secretToRest(
          await clients.plugins.deletePluginSecret({ plugin: params.name, name: params.secret }, ctx),
        ),
      }),
    }),
  ];
}
