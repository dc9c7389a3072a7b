import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { createInProcessBus } from "../src/index.js";
import { runBusConformance } from "./conformance.js";

const dir = mkdtempSync(join(tmpdir(), "lf-bus-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runBusConformance("in-process (SQLite file)", async (key, options) =>
  createInProcessBus({ path: join(dir, `${key}.db`), ...options }),
);
