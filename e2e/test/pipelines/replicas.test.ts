import { startBackend } from "@latchflow/cli";
import { createBusFromConfig, createLogger } from "@latchflow/runtime";
import { waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Stack } from "../stack.js";
import { finished, pipelineStack, putPipeline, type RunView, runs } from "./helpers.js";
import { gate, installSlow } from "./slow-plugin.js";

const HOUR = 3_600_000;
const PIPELINES = 12;

describe("two kernel replicas on one Postgres + NATS", () => {
  let s: Stack;
  let second: Awaited<ReturnType<typeof startBackend>>;
  let closeBus: () => Promise<void>;

  beforeAll(async () => {
    s = await pipelineStack("postgres", "nats", "pipereplica", {
      LATCHFLOW_KERNEL_LEASE_MS: "2000",
      LATCHFLOW_EGRESS_ALLOW_PRIVATE: "true",
    });
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

  it("a replica that lost a run's lease mid-step writes nothing more; the replica that took over finishes it", async () => {
    const g = await gate();
    try {
      await installSlow(s.base);
      await putPipeline(
        s,
        "fenced",
        `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: fenced }
spec:
  triggers:
    - { id: go, uses: manual@1 }
  steps:
    - { id: slow, uses: latchflow-plugin-slow/wait@1, with: { url: "${g.url}" } }
`,
      );
      const started = await s.api("POST", "/api/v1/pipelines/fenced/runs", { json: {} });
      expect(started.status, started.text).toBe(202);
      const id = (started.body as RunView).id;
      await waitFor(() => g.hits() >= 1, { timeoutMs: 10_000, description: "the first replica's attempt" });
      // the clock jumps past the lease (again and again: the first replica is alive and renews it) until the
      // other replica's poll finds the lease expired and takes the run over, starting the step again
      for (let k = 0; k < 100 && g.hits() < 2; k++) {
        s.advance(10_000);
        await new Promise((res) => setTimeout(res, 100));
      }
      expect(g.hits()).toBe(2);
      g.release(); // both attempts return; only the lease holder may record its result
      const r = await finished(s, "fenced", id);
      expect(r.status, JSON.stringify(r)).toBe("succeeded");
      expect(r.steps?.[0]?.attempts.map((a) => [a.number, a.status])).toEqual([
        [1, "abandoned"],
        [2, "succeeded"],
      ]);
      await new Promise((res) => setTimeout(res, 500));
      const again = await finished(s, "fenced", id);
      expect(again.steps?.[0]?.attempts.map((a) => a.status)).toEqual(["abandoned", "succeeded"]);
    } finally {
      await g.close();
    }
  });
});
