import { describe, expect, it } from "vitest";
import { ApiError, ContractMismatch, createClient, ErrorCode, operations, pathOf } from "../src/index.js";

const bundle = {
  id: "01J00000000000000000000000",
  name: "Family archive",
  description: "",
  enabled: true,
  objects: [],
  archive: { status: "empty", version: 0, size: 0, etag: "", builtAt: null, files: 0 },
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
};

function fakeFetch(status: number, body: unknown, seen: Request[] = []) {
  return (async (url: string, init: RequestInit) => {
    seen.push(new Request(new URL(url, "http://same-origin"), init));
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  }) as typeof fetch;
}

describe("typed client", () => {
  it("sends the operation's method, path, query, JSON body and bearer token", async () => {
    const seen: Request[] = [];
    const api = createClient({ baseUrl: "http://h", token: "lf_x", fetch: fakeFetch(201, bundle, seen) });
    const created = await api.createBundle({ body: { name: "Family archive" } });
    expect(created.name).toBe("Family archive");
    await api.deleteBundle({ params: { id: bundle.id }, query: { force: "true" } });
    const [post, del] = seen;
    expect(post?.method).toBe("POST");
    expect(post?.url).toBe("http://h/api/v1/bundles");
    expect(post?.headers.get("authorization")).toBe("Bearer lf_x");
    expect(post?.headers.get("content-type")).toBe("application/json");
    expect(await post?.json()).toEqual({ name: "Family archive" });
    expect(del?.url).toBe(`http://h/api/v1/bundles/${bundle.id}?force=true`);
  });

  it("gives an operation's path for links the browser follows itself", () => {
    expect(pathOf("downloadFile", { params: { id: "f/1" } })).toBe("/api/v1/files/f%2F1/content");
    expect(pathOf("listFiles", { query: { folder: "/a b", q: undefined } })).toBe(
      "/api/v1/files?folder=%2Fa+b",
    );
    expect(pathOf("listBundles")).toBe("/api/v1/bundles");
    expect(() => pathOf("exportBundleArchive", {} as never)).toThrow(/missing path parameter "id"/);
  });

  it("sends the CSRF header on changes made with a session cookie, never with a token", async () => {
    const seen: Request[] = [];
    const api = createClient({ baseUrl: "", csrfToken: () => "c1", fetch: fakeFetch(201, bundle, seen) });
    await api.createBundle({ body: { name: "x" } });
    await api.listBundles();
    expect(seen[0]?.headers.get("x-csrf-token")).toBe("c1");
    expect(seen[1]?.headers.get("x-csrf-token")).toBeNull();
  });

  it("throws ApiError with the server's code, and raw calls answer every status", async () => {
    const error = { error: { code: "not_found", message: "No such bundle", requestId: "r1" } };
    const api = createClient({ baseUrl: "http://h", fetch: fakeFetch(404, error) });
    const err = await api.getBundle({ params: { id: bundle.id } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(ErrorCode.NotFound);
    expect((err as ApiError).status).toBe(404);
    const raw = await api.raw.getBundle({ params: { id: bundle.id } });
    expect(raw.ok).toBe(false);
    if (!raw.ok) expect(raw.body.error.requestId).toBe("r1");
  });

  it("validates response bodies against the contract when asked", async () => {
    const api = createClient({
      baseUrl: "http://h",
      validate: operations,
      fetch: fakeFetch(200, { ...bundle, enabled: "yes" }),
    });
    await expect(api.getBundle({ params: { id: bundle.id } })).rejects.toBeInstanceOf(ContractMismatch);
  });

  it("refuses a success status the contract does not declare when validating", async () => {
    const api = createClient({ baseUrl: "http://h", validate: operations, fetch: fakeFetch(200, bundle) });
    await expect(api.createBundle({ body: { name: "x" } })).rejects.toThrow(
      /createBundle 200: a success status the contract does not declare/,
    );
    await expect(api.raw.createBundle({ body: { name: "x" } })).rejects.toBeInstanceOf(ContractMismatch);
    const lax = createClient({ baseUrl: "http://h", fetch: fakeFetch(200, bundle) });
    expect((await lax.raw.createBundle({ body: { name: "x" } })).status).toBe(200);
  });

  it("an ApiError carries the answer's headers (request id, Retry-After)", async () => {
    const error = { error: { code: "rate_limited", message: "Slow down", requestId: "r9" } };
    const fetch = (async () =>
      new Response(JSON.stringify(error), {
        status: 429,
        headers: { "content-type": "application/json", "retry-after": "7", "x-request-id": "r9" },
      })) as typeof globalThis.fetch;
    const err = await createClient({ baseUrl: "http://h", fetch })
      .listBundles()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).headers.get("retry-after")).toBe("7");
    expect((err as ApiError).headers.get("x-request-id")).toBe("r9");
  });

  it("refuses a call without its path parameter", async () => {
    const api = createClient({ baseUrl: "http://h", fetch: fakeFetch(200, bundle) });
    // @ts-expect-error params are required by the operation's schema
    await expect(api.getBundle({})).rejects.toThrow(/missing path parameter "id"/);
  });

  it("sends a body the handler reads itself as given, with its content type", async () => {
    const seen: Request[] = [];
    const counts = { created: 1, updated: 0, unchanged: 0 };
    const api = createClient({ baseUrl: "http://h", token: "lf_x", fetch: fakeFetch(200, counts, seen) });
    const csv = "email,name\r\nalice@example.com,Alice\r\n";
    expect(await api.importRecipients({ body: csv, contentType: "text/csv" })).toEqual(counts);
    expect(seen[0]?.headers.get("content-type")).toBe("text/csv");
    expect(await seen[0]?.text()).toBe(csv);
  });

  it("leaves a FormData body's content type (multipart with its boundary) to fetch", async () => {
    const seen: Request[] = [];
    const file = { ...bundle, folder: "/", contentType: "text/plain", size: 2, sha256: "", metadata: {} };
    const api = createClient({ baseUrl: "http://h", token: "lf_x", fetch: fakeFetch(201, file, seen) });
    const form = new FormData();
    form.append("file", new Blob(["hi"], { type: "text/plain" }), "hi.txt");
    await api.uploadFile({ body: form });
    expect(seen[0]?.headers.get("content-type")).toMatch(/^multipart\/form-data; boundary=/);
    expect(await seen[0]?.text()).toContain('filename="hi.txt"');
  });

  it("answers the Response for a body that is not JSON, the parsed body when it is", async () => {
    const csv = "email,name,enabled\r\n";
    const api = createClient({
      baseUrl: "http://h",
      token: "lf_x",
      validate: operations,
      fetch: (async () => new Response(csv, { headers: { "content-type": "text/csv" } })) as typeof fetch,
    });
    const answer = await api.exportRecipients();
    expect(answer).toBeInstanceOf(Response);
    expect(await (answer as Response).text()).toBe(csv);
    const rows = [{ email: "alice@example.com", name: "Alice", enabled: true }];
    const json = createClient({ baseUrl: "http://h", validate: operations, fetch: fakeFetch(200, rows) });
    expect(await json.exportRecipients({ query: { format: "json" } })).toEqual(rows);
  });

  it("answers a declared non-error-shape refusal (OAuth's at the device flow) without a contract mismatch", async () => {
    const refusal = { error: "authorization_pending" };
    const api = createClient({ baseUrl: "http://h", validate: operations, fetch: fakeFetch(400, refusal) });
    const body = { grant_type: "g", device_code: "d" };
    const raw = await api.raw.pollDeviceToken({ body });
    expect(raw.ok).toBe(false);
    if (!raw.ok) expect(raw.body).toEqual(refusal);
    const err = await api.pollDeviceToken({ body }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).details).toEqual(refusal);
    expect((err as ApiError).message).toBe("authorization_pending");
  });

  it("hands back the Response when an answer that may be JSON is not (a pipeline's YAML)", async () => {
    const yaml = "apiVersion: latchflow.dev/v1\n";
    const api = createClient({
      baseUrl: "http://h",
      validate: operations,
      fetch: (async () =>
        new Response(yaml, { status: 200, headers: { "content-type": "application/yaml" } })) as typeof fetch,
    });
    const answer = await api.getPipeline({ params: { name: "legacy" } });
    expect(answer).toBeInstanceOf(Response);
    expect(await (answer as Response).text()).toBe(yaml);
  });
});
