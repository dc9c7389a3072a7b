import { bundlesV1 } from "@latchflow/proto";
import { createClient, createLogger, systemContext } from "@latchflow/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, type HttpResult, http } from "../http.js";
import { putPipeline } from "../pipelines/helpers.js";
import { MODES, OWNER_TOKEN, type Stack, startStack } from "../stack.js";

/** Promises about bad input (issue 10): a clear 4xx in the documented shape, never a 500, no values in logs. */

/** A value that must never show in a log line. */
const MARK = "NulMarkerValue7f3a";
const NUL = `${MARK}\u0000tail`;

describe.each(MODES)("bad input on %s + %s", (dialect, bus) => {
  let s: Stack;
  const lines: string[] = [];
  let fileId: string;
  let bundleId: string;

  beforeAll(async () => {
    const logger = createLogger({ level: "debug", destination: { write: (l: string) => lines.push(l) } });
    s = await startStack(dialect, bus, "sec_input", {}, { logger });
    const api = s.client();
    const up = await api.uploadFile({
      body: "hello",
      contentType: "text/plain",
      headers: { "x-file-name": "hello.txt" },
    });
    fileId = up.id;
    bundleId = (await api.createBundle({ body: { name: `input-${dialect}` } })).id;
    await putPipeline(
      s,
      "manual-run",
      `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: manual-run }
spec:
  triggers:
    - { id: go, uses: manual@1 }
  steps:
    - id: tell
      uses: email@1
      with: { to: [nobody@example.com], subject: "hi", text: "hi" }
`,
    );
  });
  afterAll(async () => {
    await s?.stop();
  });

  const nulCases: [string, () => Promise<HttpResult>][] = [
    [
      "a NUL character in a recipient name",
      () => s.api("POST", "/api/v1/recipients", { json: { email: "nul@example.com", name: NUL } }),
    ],
    [
      "a NUL character in a bundle description",
      () => s.api("POST", "/api/v1/bundles", { json: { name: "nul-bundle", description: NUL } }),
    ],
    ["a NUL character in a token name", () => s.api("POST", "/api/v1/tokens", { json: { name: NUL } })],
    ["a NUL character in a file search q", () => s.api("GET", `/api/v1/files?q=${encodeURIComponent(NUL)}`)],
    [
      "a NUL character in a bundle object path",
      () =>
        s.api("PUT", `/api/v1/bundles/${bundleId}/objects`, { json: { objects: [{ fileId, path: NUL }] } }),
    ],
    [
      "a NUL character in a pipeline's YAML source",
      () =>
        http(s.base, "PUT", "/api/v1/pipelines/manual-run", {
          token: OWNER_TOKEN,
          body: `apiVersion: latchflow.dev/v1\nkind: Pipeline\nmetadata: { name: manual-run, description: "${NUL}" }\nspec:\n  triggers: [{ id: go, uses: manual@1 }]\n  steps: [{ id: tell, uses: email@1, with: { to: [a@example.com], subject: s, text: t } }]\n`,
          headers: { "content-type": "application/yaml" },
        }),
    ],
    [
      "a NUL character in an uploaded file name",
      () =>
        s.api("POST", "/api/v1/files", {
          body: "x",
          headers: { "content-type": "text/plain", "x-file-name": encodeURIComponent(NUL) },
        }),
    ],
  ];
  it.each(nulCases)("%s → 422 validation_failed, never a 500", async (_name, send) => {
    const res = await send();
    expectError(res, 422, "validation_failed");
    expect(res.text).not.toContain(MARK);
  });

  it("multipart without a boundary → 400 bad_request, never a 500", async () => {
    const res = await s.api("POST", "/api/v1/files", {
      body: "--x\r\n\r\n",
      headers: { "content-type": "multipart/form-data" },
    });
    expectError(res, 400, "bad_request");
  });

  it("a run payload nested 5,000 deep → 422 validation_failed, never a 500", async () => {
    const body = `{"payload":${"[".repeat(5000)}${"]".repeat(5000)}}`;
    const res = await s.api("POST", "/api/v1/pipelines/manual-run/runs", {
      body,
      headers: { "content-type": "application/json" },
    });
    expectError(res, 422, "validation_failed");
  });

  it("a YAML alias bomb → 422 validation_failed with a diagnostic, never a 500", async () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i <= 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(", ")}]`);
    }
    const res = await http(s.base, "PUT", "/api/v1/pipelines/bomb", {
      token: OWNER_TOKEN,
      body: levels.join("\n"),
      headers: { "content-type": "application/yaml" },
    });
    expectError(res, 422, "validation_failed");
    expect(JSON.stringify(res.body)).toContain("alias");
  });

  it("a statement that fails in the database is logged without its values (bound parameters)", async () => {
    // past the gateway (a service called directly): the database refuses or stores it, the log never names it
    const client = createClient(bundlesV1.BundlesServiceClient, s.addresses.bundles!, {
      deadlineMs: 10_000,
      logger: createLogger({ level: "silent" }),
    });
    try {
      await client
        .createBundle({ name: `db-${MARK}\u0000`, description: NUL }, systemContext("test", "nul-test"))
        .catch(() => undefined);
    } finally {
      client.$close();
    }
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.includes(MARK))).toEqual([]);
  });
});
