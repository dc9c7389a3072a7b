// What a distributed process loads (ADR 053, ADR 070): its idle RSS is mostly the code it loaded, so a process
// that never opens a database or an in-process bus must not load their libraries.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const fixture = fileURLToPath(new URL("./fixtures/loaded-modules.ts", import.meta.url));

/** The modules `latchflow start --service <service>` has loaded once its code is imported. */
async function loadedBy(service: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", tsx, fixture, service], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as string[];
}

const MIKRO_ORM = /\/node_modules\/@mikro-orm\//;
const SQL_DRIVERS = /\/node_modules\/(knex|pg|libsql)\//;
/** the in-process bus's SQLite (a native addon), opened only by a process whose bus is not NATS */
const LIBSQL = /\/node_modules\/libsql\//;
/** the REST contract's index (every operation's zod schemas); a backend needs only its error codes and scopes */
const REST_SCHEMAS = /\/api\/src\/index\.ts$/;

describe("modules loaded by a distributed process", () => {
  it("the gateway loads no database library: no MikroORM, knex, pg or libsql", async () => {
    const loaded = await loadedBy("gateway");
    expect(loaded.some((url) => url.includes("/services/gateway/src/"))).toBe(true);
    expect(loaded.filter((url) => MIKRO_ORM.test(url) || SQL_DRIVERS.test(url))).toEqual([]);
  }, 60_000);

  it("storage loads MikroORM but neither libsql (the in-process bus's) nor the REST schemas", async () => {
    const loaded = await loadedBy("storage");
    expect(loaded.some((url) => url.includes("/services/storage/src/"))).toBe(true);
    expect(loaded.some((url) => MIKRO_ORM.test(url))).toBe(true);
    expect(loaded.filter((url) => LIBSQL.test(url) || REST_SCHEMAS.test(url))).toEqual([]);
  }, 60_000);
});
