import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { ENV_VARS } from "./env-vars.js";
import { ErrorCode } from "./errors.js";

describe("loadConfig", () => {
  it("compiles documented defaults into the embedded mode", () => {
    const config = loadConfig({});
    expect(config.database).toEqual({ kind: "sqlite" });
    expect(config.bus).toEqual({ kind: "in-process", retentionMs: 7 * 86_400_000 });
    expect(config.http.port).toBe(8080);
    expect(config.development).toBe(false);
    expect(config.bootstrap).toEqual({ token: "", email: "owner@localhost" });
  });

  it("switches to Postgres and NATS by configuration only", () => {
    const config = loadConfig({
      LATCHFLOW_DATABASE_URL: "postgres://u@db:5432/lf",
      LATCHFLOW_DB_SCHEMA_PREFIX: "prod_",
      LATCHFLOW_NATS_URL: "nats://nats:4222",
      LATCHFLOW_BUS_RETENTION_DAYS: "30",
    });
    expect(config.database).toEqual({
      kind: "postgres",
      url: "postgres://u@db:5432/lf",
      schemaPrefix: "prod_",
      poolMax: 10,
    });
    expect(config.bus).toEqual({
      kind: "nats",
      url: "nats://nats:4222",
      stream: "LATCHFLOW",
      namespace: "",
      retentionMs: 30 * 86_400_000,
    });
  });

  it("names every bad variable in one error", () => {
    let error: unknown;
    try {
      loadConfig({
        LATCHFLOW_PORT: "99999",
        LATCHFLOW_NATS_URL: "http://x",
        LATCHFLOW_BOOTSTRAP_TOKEN: "short",
        LATCHFLOW_BUS_RETENTION_DAYS: "0",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: ErrorCode.BadRequest });
    const message = (error as Error).message;
    for (const name of [
      "LATCHFLOW_PORT",
      "LATCHFLOW_NATS_URL",
      "LATCHFLOW_BOOTSTRAP_TOKEN",
      "LATCHFLOW_BUS_RETENTION_DAYS",
    ])
      expect(message).toContain(name);
    expect(message).not.toContain("short");
  });

  it("installs plugins from LATCHFLOW_PLUGIN_REGISTRY (npmjs.org by default)", () => {
    expect(loadConfig({}).kernel.pluginRegistry).toBe("https://registry.npmjs.org");
    const local = loadConfig({ LATCHFLOW_PLUGIN_REGISTRY: "http://127.0.0.1:4873/" });
    expect(local.kernel.pluginRegistry).toBe("http://127.0.0.1:4873/");
    expect(() => loadConfig({ LATCHFLOW_PLUGIN_REGISTRY: "ftp://mirror" })).toThrow(
      /LATCHFLOW_PLUGIN_REGISTRY/,
    );
  });

  it("runs 32 invocations of a plugin at once unless LATCHFLOW_PLUGIN_CONCURRENCY (1–1024) says otherwise", () => {
    expect(loadConfig({}).kernel.pluginConcurrency).toBe(32);
    expect(loadConfig({ LATCHFLOW_PLUGIN_CONCURRENCY: "200" }).kernel.pluginConcurrency).toBe(200);
    for (const bad of ["0", "-1", "1.5", "2000", "many"]) {
      expect(() => loadConfig({ LATCHFLOW_PLUGIN_CONCURRENCY: bad })).toThrow(/LATCHFLOW_PLUGIN_CONCURRENCY/);
    }
  });

  it("refuses the renamed LATCHFLOW_NPM_REGISTRY naming its replacement, rather than ignoring it", () => {
    expect(() => loadConfig({ LATCHFLOW_NPM_REGISTRY: "https://mirror.example" })).toThrow(
      "LATCHFLOW_NPM_REGISTRY: renamed to LATCHFLOW_PLUGIN_REGISTRY",
    );
    // named together with the other problems, in the one error
    expect(() => loadConfig({ LATCHFLOW_NPM_REGISTRY: "x", LATCHFLOW_PORT: "99999" })).toThrow(
      /LATCHFLOW_NPM_REGISTRY: renamed.*LATCHFLOW_PORT/,
    );
  });

  it("documents every variable", () => {
    for (const [name, spec] of Object.entries(ENV_VARS)) {
      // OTEL_* are the OpenTelemetry standard names, honoured as such
      expect(name).toMatch(/^(LATCHFLOW|OTEL)_[A-Z0-9_]+$/);
      expect(spec.doc.length).toBeGreaterThan(8);
    }
  });
});
