import { z } from "zod";
import { type BodyType, mediaTypes, type Operation, type ResponseSpec } from "./operation.js";
import { standardResponsesOf } from "./responses.js";
import { CSRF_HEADER, SESSION_COOKIES, UNSAFE_METHODS } from "./sessions.js";
import { TAGS } from "./tags.js";

type Json = Record<string, unknown>;

/** An OpenAPI 3.1 document (the parts this builder writes). */
export interface OpenApiDocument {
  [key: string]: unknown;
  openapi: "3.1.0";
  info: Json & { title: string; version: string };
  servers: { url: string; description: string }[];
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, Json>>;
  components: {
    schemas: Record<string, Json>;
    responses: Record<string, Json>;
    securitySchemes: Record<string, Json>;
  };
}

// the project publishes no license file: the document says so rather than guessing one
const LICENSE = { name: "Proprietary (no license granted)", identifier: "LicenseRef-Proprietary" };
const CONTACT = { name: "Latchflow maintainers" };

/** A valid operationId: camelCase, so every code generator can use it as a method name unchanged. */
export const OPERATION_ID = /^[a-z][a-zA-Z0-9]*$/;
const METHODS = ["get", "post", "put", "patch", "delete"] as const;

const BODY_MEDIA: Record<BodyType, string> = {
  json: "application/json",
  form: "application/x-www-form-urlencoded",
  multipart: "multipart/form-data",
  binary: "application/octet-stream",
  csv: "text/csv",
};

const BYTES = { type: "string", format: "binary" };

/**
 * JSON Schema 2020-12 of zod schemas, with named schemas (`.meta({ id })`) moved to `components.schemas`. A
 * named schema whose input form differs from its output form (defaults, coercion, `additionalProperties`) gets
 * a second component `<id>Input`; two different schemas with one id are an error.
 */
class Components {
  readonly schemas = new Map<string, Json>();

  convert(schema: z.ZodType, io: "input" | "output"): Json {
    const json = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }) as Json;
    const { $defs, $schema: _dialect, ...root } = json as Json & { $defs?: Record<string, Json> };
    const defs = $defs ?? {};
    const renamed = new Set<string>();
    const nameOf = (id: string) => (renamed.has(id) ? `${id}Input` : id);
    const render = (value: unknown) =>
      JSON.parse(
        JSON.stringify(value).replace(
          /"#\/\$defs\/([^"]+)"/g,
          (_, id: string) => `"#/components/schemas/${nameOf(id)}"`,
        ),
      ) as Json;
    // renaming one input def changes the defs that refer to it: repeat until nothing else conflicts
    for (let changed = true; changed; ) {
      changed = false;
      for (const [id, def] of Object.entries(defs)) {
        const existing = this.schemas.get(nameOf(id));
        if (!existing || JSON.stringify(existing) === JSON.stringify(render(def))) continue;
        if (io === "output" || renamed.has(id)) {
          throw new Error(`two different schemas are named "${nameOf(id)}": give one another .meta({ id })`);
        }
        renamed.add(id);
        changed = true;
      }
    }
    for (const [id, def] of Object.entries(defs)) this.schemas.set(nameOf(id), render(def));
    return render(root);
  }
}

function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]+)/g, "{$1}");
}

function pathParams(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1] as string);
}

function parameters(op: Operation, c: Components): Json[] {
  const out: Json[] = [];
  const inPath = pathParams(op.path);
  const declared = new Set<string>();
  for (const [where, schema] of [
    ["path", op.params],
    ["query", op.query],
  ] as const) {
    if (!schema) continue;
    const json = c.convert(schema, "input") as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, prop] of Object.entries(json.properties ?? {})) {
      if (where === "path") {
        if (!inPath.includes(name))
          throw new Error(`${op.operationId}: path parameter ${name} is not in ${op.path}`);
        declared.add(name);
      }
      const { description, ...rest } = prop;
      out.push({
        name,
        in: where,
        required: where === "path" || (json.required ?? []).includes(name),
        ...(typeof description === "string" ? { description } : {}),
        schema: rest,
      });
    }
  }
  // a path parameter the operation does not validate is still a string the client must send
  for (const name of inPath) {
    if (!declared.has(name)) out.unshift({ name, in: "path", required: true, schema: { type: "string" } });
  }
  return out;
}

/** Per media type: the body schema where one validates it; otherwise what the handler reads itself. */
function requestBody(op: Operation, c: Components): Json | undefined {
  if (!op.body && !op.bodyTypes) return undefined;
  const content: Json = {};
  for (const type of op.bodyTypes ?? ["json"]) {
    let schema: Json;
    if (type === "binary") schema = BYTES;
    else if (type === "csv") schema = { type: "string" };
    else if (op.body) schema = c.convert(op.body, "input");
    else schema = type === "json" ? {} : { type: "object" };
    content[BODY_MEDIA[type]] = { schema };
  }
  return { required: true, content };
}

function response(spec: ResponseSpec, c: Components): Json {
  const out: Json = { description: spec.description };
  if (spec.redirect) {
    out.headers = { Location: { description: "Where the client goes next", schema: { type: "string" } } };
  }
  const content: Json = {};
  if (spec.schema) content["application/json"] = { schema: c.convert(spec.schema, "output") };
  for (const media of mediaTypes(spec.media)) {
    content[media] = { schema: media.startsWith("text/") ? { type: "string" } : BYTES };
  }
  if (Object.keys(content).length) out.content = content;
  return out;
}

/**
 * Who may call: public → no security; a user → an API token or the admin session cookie (with the CSRF header
 * on changes); a recipient → the portal session cookie (with its CSRF header on changes). A user operation's
 * scope is listed on the token and on the session.
 */
function security(op: Operation): Json[] {
  const a = op.access;
  const unsafe = UNSAFE_METHODS.has(op.method);
  const scopes = a.kind === "user" ? [a.scope] : [];
  const user = unsafe ? { userSession: scopes, userCsrf: [] } : { userSession: scopes };
  const recipient = unsafe ? { recipientSession: [], recipientCsrf: [] } : { recipientSession: [] };
  switch (a.kind) {
    case "public":
      return [];
    case "recipient":
      return [recipient];
    case "signed-in":
      return [{ bearer: scopes }, user, recipient];
    default:
      return [{ bearer: scopes }, user];
  }
}

const SECURITY_SCHEMES: Record<string, Json> = {
  bearer: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "lf_<id>_<secret>",
    description:
      "An API token, as `Authorization: Bearer lf_…`. A token carries scopes; an operation lists the scope it needs.",
  },
  recipientCsrf: {
    type: "apiKey",
    in: "header",
    name: CSRF_HEADER,
    description: `The value of the \`${SESSION_COOKIES.recipient.csrf}\` cookie, sent with the portal session cookie on every POST, PUT, PATCH and DELETE (an HTML form may send it as the \`csrf_token\` field).`,
  },
  recipientSession: {
    type: "apiKey",
    in: "cookie",
    name: SESSION_COOKIES.recipient.session,
    description: "A recipient's portal session, set when they sign in with the emailed code.",
  },
  userCsrf: {
    type: "apiKey",
    in: "header",
    name: CSRF_HEADER,
    description: `The value of the \`${SESSION_COOKIES.user.csrf}\` cookie, sent with the admin session cookie on every POST, PUT, PATCH and DELETE (an HTML form may send it as the \`csrf_token\` field).`,
  },
  userSession: {
    type: "apiKey",
    in: "cookie",
    name: SESSION_COOKIES.user.session,
    description: "An admin's session, set by the emailed sign-in link. Its role's scopes apply.",
  },
};

function validate(ops: readonly Operation[]): void {
  const ids = new Set<string>();
  const routes = new Set<string>();
  for (const op of ops) {
    if (!OPERATION_ID.test(op.operationId)) {
      throw new Error(
        `operationId "${op.operationId}" must be camelCase letters and digits (${OPERATION_ID})`,
      );
    }
    if (ids.has(op.operationId)) throw new Error(`duplicate operationId "${op.operationId}"`);
    ids.add(op.operationId);
    const route = `${op.method.toUpperCase()} ${op.path}`;
    if (routes.has(route)) throw new Error(`two operations serve ${route}`);
    routes.add(route);
    if (!(op.tag in TAGS))
      throw new Error(`${op.operationId}: tag "${op.tag}" has no description in api/src/tags.ts`);
  }
}

function byKey<T>(entries: Iterable<[string, T]>): Record<string, T> {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The OpenAPI 3.1 document of the given operations (`Object.values(operations)`), built from the same schemas
 * that validate requests. Deterministic: the same operations always give the same document, keys sorted
 * wherever their order means nothing. Throws on an invalid or duplicate operationId or an undeclared tag.
 */
export function buildOpenApi(ops: readonly Operation[], info: { version: string }): OpenApiDocument {
  validate(ops);
  const c = new Components();
  const sorted = [...ops].sort(
    (a, b) =>
      (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) ||
      METHODS.indexOf(a.method) - METHODS.indexOf(b.method),
  );
  const standard = new Map<string, Json>();
  // responses first: a named schema's output form keeps the plain name, its input form (if different) gets
  // the `Input` suffix
  const responses = new Map<Operation, Json>();
  for (const op of sorted) {
    const out: Json = {};
    const std = standardResponsesOf(op);
    for (const [status, spec] of Object.entries({ ...std, ...op.responses })) {
      const shared = status in op.responses ? undefined : std[Number(status)];
      if (!shared) out[status] = response(spec, c);
      else {
        if (!standard.has(shared.name)) standard.set(shared.name, response(shared, c));
        out[status] = { $ref: `#/components/responses/${shared.name}` };
      }
    }
    responses.set(op, out);
  }
  const paths: Record<string, Record<string, Json>> = {};
  const schemes = new Set<string>();
  for (const op of sorted) {
    const requirements = security(op);
    for (const r of requirements) for (const name of Object.keys(r)) schemes.add(name);
    const params = parameters(op, c);
    const body = requestBody(op, c);
    const path = openApiPath(op.path);
    const item = paths[path] ?? {};
    paths[path] = item;
    item[op.method] = {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      tags: [op.tag],
      security: requirements,
      ...(params.length ? { parameters: params } : {}),
      ...(body ? { requestBody: body } : {}),
      responses: responses.get(op),
    };
  }
  const tags = [...new Set(ops.map((op) => op.tag))]
    .sort()
    .map((name) => ({ name, description: TAGS[name] ?? "" }));
  return {
    openapi: "3.1.0",
    info: {
      title: "Latchflow API",
      version: info.version,
      summary: "Trigger-gated secure file release",
      description:
        "The REST contract of Latchflow: admins put files into encrypted bundles, assign them to recipients with " +
        "limits, and write pipelines whose triggers release them. Every error answers with the `Error` shape " +
        "and a stable `code`; lists are paginated with `limit` and `cursor`, newest first.",
      contact: CONTACT,
      license: LICENSE,
    },
    servers: [
      {
        url: "/",
        description:
          "The server that serves this document. The embedded default (`latchflow start`) listens on " +
          "http://127.0.0.1:8080 (LATCHFLOW_HOST, LATCHFLOW_PORT).",
      },
    ],
    tags,
    paths: byKey(Object.entries(paths)),
    components: {
      schemas: byKey(c.schemas),
      responses: byKey(standard),
      securitySchemes: byKey(Object.entries(SECURITY_SCHEMES).filter(([name]) => schemes.has(name))),
    },
  };
}

/** The committed form of a document: 2-space JSON with a trailing newline. */
export function openApiJson(doc: OpenApiDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
