// What a server process loads (ADRs 053, 070, 077): its idle RSS is mostly the code it loaded, so a process
// that never opens a database or an in-process bus (or NATS) must not load their libraries.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const fixture = fileURLToPath(new URL("./fixtures/loaded-modules.ts", import.meta.url));

/** The modules `latchflow start --service <service>` has loaded once its code is imported (or, for several
 * services, the embedded `latchflow start`). */
async function loadedBy(...services: string[]): Promise<string[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", tsx, fixture, ...services], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as string[];
}

/** the NATS client, imported only when the bus is NATS (`createBusFromConfig`), never by the embedded server */
const NATS = /\/node_modules\/@nats-io\//;
const MIKRO_ORM = /\/node_modules\/@mikro-orm\//;
const SQL_DRIVERS = /\/node_modules\/(knex|pg|libsql)\//;
/** the in-process bus's SQLite (a native addon), opened only by a process whose bus is not NATS */
const LIBSQL = /\/node_modules\/libsql\//;
/** the OTLP exporter, imported only when tracing exports (LATCHFLOW_OTEL_EXPORTER=otlp; the default is none) */
const OTLP = /\/node_modules\/@opentelemetry\/(exporter-trace-otlp-http|otlp-transformer)\//;
/** the REST contract's index (every operation's zod schemas); a backend needs only its error codes and scopes */
const REST_SCHEMAS = /\/api\/src\/index\.ts$/;
/** the generated code of the gRPC contracts storage neither serves nor calls */
const OTHER_CONTRACTS = /\/proto\/src\/gen\/latchflow\/(audit|auth|bundles|pipelines|plugins)\//;

describe("modules loaded by a server process", () => {
  it("the gateway loads no database library (MikroORM, knex, pg, libsql) and no OTLP exporter", async () => {
    const loaded = await loadedBy("gateway");
    expect(loaded.some((url) => url.includes("/services/gateway/src/"))).toBe(true);
    expect(loaded.filter((url) => MIKRO_ORM.test(url) || SQL_DRIVERS.test(url) || OTLP.test(url))).toEqual(
      [],
    );
  }, 60_000);

  it("storage loads MikroORM but not libsql (the in-process bus's), the REST schemas, other services' contracts or the OTLP exporter", async () => {
    const loaded = await loadedBy("storage");
    expect(loaded.some((url) => url.includes("/services/storage/src/"))).toBe(true);
    expect(loaded.some((url) => MIKRO_ORM.test(url))).toBe(true);
    expect(loaded.some((url) => url.includes("/proto/src/gen/latchflow/storage/"))).toBe(true);
    const unused = (url: string) =>
      LIBSQL.test(url) || REST_SCHEMAS.test(url) || OTHER_CONTRACTS.test(url) || OTLP.test(url);
    expect(loaded.filter(unused)).toEqual([]);
  }, 60_000);

  it("the embedded server's code (all six services) loads no NATS client", async () => {
    const loaded = await loadedBy("kernel", "auth", "bundles", "storage", "audit", "gateway");
    expect(loaded.some((url) => url.includes("/services/gateway/src/"))).toBe(true);
    expect(loaded.some((url) => url.includes("/kernel/bus/src/"))).toBe(true);
    expect(loaded.filter((url) => NATS.test(url))).toEqual([]);
  }, 60_000);
});
