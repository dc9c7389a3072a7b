import { z } from "zod";
import type { AnyRoute } from "./route.js";

type JsonSchema = Record<string, unknown>;

/** Converts a zod schema to JSON Schema 2020-12, moving named (`.meta({ id })`) schemas to components. */
function toSchema(
  schema: z.ZodType,
  io: "input" | "output",
  components: Record<string, JsonSchema>,
): JsonSchema {
  const raw = JSON.stringify(z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }));
  const json = JSON.parse(raw.replaceAll('"#/$defs/', '"#/components/schemas/')) as JsonSchema & {
    $defs?: Record<string, JsonSchema>;
  };
  const { $defs, $schema: _ignored, ...rest } = json;
  for (const [id, def] of Object.entries($defs ?? {})) components[id] = def;
  return rest;
}

/** Security requirement: bearer with the route's scope, or the session cookies, or none for public routes. */
function securityOf(route: AnyRoute) {
  const a = route.access;
  if (a.kind === "public") return { security: [] };
  if (a.kind === "recipient") return { security: [{ recipientSession: [] }] };
  const scopes = a.kind === "user" ? [a.scope] : [];
  const both = [{ bearer: scopes }, { userSession: scopes }];
  return { security: a.kind === "signed-in" ? [...both, { recipientSession: [] }] : both };
}

function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]+)/g, "{$1}");
}

function parameters(route: AnyRoute, components: Record<string, JsonSchema>) {
  const out: unknown[] = [];
  for (const [where, schema] of [
    ["path", route.params],
    ["query", route.query],
  ] as const) {
    if (!schema) continue;
    const json = toSchema(schema, "input", components) as {
      properties?: Record<string, JsonSchema>;
      required?: string[];
    };
    for (const [name, prop] of Object.entries(json.properties ?? {})) {
      out.push({
        name,
        in: where,
        required: where === "path" || (json.required ?? []).includes(name),
        schema: prop,
      });
    }
  }
  return out;
}

/** The OpenAPI 3.1 document, built from the same route table and schemas that validate requests. */
export function buildOpenApi(routes: AnyRoute[], info: { version: string }) {
  const components: Record<string, JsonSchema> = {};
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(route.responses)) {
      responses[status] = spec.schema
        ? {
            description: spec.description,
            content: { "application/json": { schema: toSchema(spec.schema, "output", components) } },
          }
        : { description: spec.description };
    }
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      parameters: parameters(route, components),
      responses,
      ...securityOf(route),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { "application/json": { schema: toSchema(route.body, "input", components) } },
            },
          }
        : {}),
    };
    const path = openApiPath(route.path);
    paths[path] = { ...(paths[path] ?? {}), [route.method]: operation };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Latchflow API", version: info.version },
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "API token `lf_<id>_<secret>`" },
      },
    },
  };
}
