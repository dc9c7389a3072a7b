import { startBackend } from "@latchflow/cli";
import { createBusFromConfig, createLogger } from "@latchflow/runtime";
import { waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Stack } from "../stack.js";
import { finished, pipelineStack, putPipeline, runs } from "./helpers.js";

const HOUR = 3_600_000;
const PIPELINES = 12;

describe("two kernel replicas on one Postgres + NATS", () => {
  let s: Stack;
  let second: Awaited<ReturnType<typeof startBackend>>;
  let closeBus: () => Promise<void>;

  beforeAll(async () => {
    s = await pipelineStack("postgres", "nats", "pipereplica", { LATCHFLOW_KERNEL_LEASE_MS: "2000" });
    const logger = createLogger({ level: "silent" });
    const bus = await createBusFromConfig(s.config, logger);
    closeBus = () => bus.close();
    second = await startBackend(
      "kernel",
      { config: s.config, bus, logger },
      { host: "127.0.0.1", port: 0 },
      { addresses: s.addresses, now: () => s.now() },
    );
  });
  afterAll(async () => {
    await second?.stop();
    await closeBus?.();
    await s?.stop();
  });

  it("every timer fires once and every run executes once, whichever replica polls first", async () => {
    const at = new Date(s.now().getTime() + HOUR).toISOString();
    for (let i = 0; i < PIPELINES; i++) {
      await putPipeline(
        s,
        `dated-${i}`,
        `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: dated-${i} }
spec:
  triggers:
    - { id: once, uses: schedule@1, with: { at: "${at}" } }
  steps:
    - { id: note, uses: email@1, with: { to: [replica-${i}@example.com], subject: "dated ${i}", text: "once" } }
`,
      );
    }
    await new Promise((r) => setTimeout(r, 500)); // both replicas see the arm jobs
    s.advance(2 * HOUR);
    for (let i = 0; i < PIPELINES; i++) {
      const list = await waitFor(
        async () => {
          const l = await runs(s, `dated-${i}`);
          return l.length > 0 ? l : undefined;
        },
        { timeoutMs: 20_000, description: `a run of dated-${i}` },
      );
      const r = await finished(s, `dated-${i}`, list[0]?.id ?? "");
      expect(r.status).toBe("succeeded");
      expect(r.steps?.[0]?.attempts).toHaveLength(1);
    }
    await new Promise((r) => setTimeout(r, 1_000));
    for (let i = 0; i < PIPELINES; i++) {
      expect(await runs(s, `dated-${i}`)).toHaveLength(1);
      expect(s.mail.to(`replica-${i}@example.com`)).toHaveLength(1);
    }
  });
});
