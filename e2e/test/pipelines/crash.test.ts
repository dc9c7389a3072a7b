import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Launched, launch } from "@latchflow/deploy-local";
import {
  deleteNatsStream,
  dropSchemas,
  type SmtpCapture,
  startSmtpCapture,
  uniqueName,
  waitFor,
} from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { MODES, OWNER_TOKEN, type Stack } from "../stack.js";
import {
  clientOf,
  finished,
  type Gateway,
  pipelineStack,
  putPipeline,
  run,
  runs,
  selfSignedCert,
  startRun,
} from "./helpers.js";
import { gate, installSlow } from "./slow-plugin.js";

const pipeline = (steps: string) => `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: crashy }
spec:
  triggers:
    - { id: go, uses: manual@1 }
  steps:
${steps}`;

const put = (g: Gateway, yaml: string) => putPipeline(g, "crashy", yaml);

/** The plugin host is a child process of the embedded stack, i.e. of this test worker. */
function pluginHostPid(): number {
  const out = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(process.pid)], { encoding: "utf8" });
  const line = out.split("\n").find((l) => l.includes("host-main"));
  if (!line) throw new Error(`no plugin host child in:\n${out}`);
  return Number(line.trim().split(/\s+/)[0]);
}

describe.each(MODES)("kill -9 of the plugin host mid-step on %s + %s", (dialect, bus) => {
  let s: Stack;
  let g: Awaited<ReturnType<typeof gate>>;
  beforeAll(async () => {
    g = await gate();
    s = await pipelineStack(dialect, bus, "pipecrash", { LATCHFLOW_EGRESS_ALLOW_PRIVATE: "true" });
    await installSlow(s);
  });
  afterAll(async () => {
    await s?.stop();
    await g?.close();
  });

  it("the step is retried and its mail is sent once (idempotency key honoured by mail.send)", async () => {
    await put(
      s,
      pipeline(`    - id: slow
      uses: latchflow-plugin-slow/wait@1
      with: { url: "${g.url}", mailTo: once@example.com }
`),
    );
    const started = await startRun(s, "crashy");
    await waitFor(() => g.hits() >= 1, { timeoutMs: 10_000, description: "the step to wait on the gate" });
    await s.mail.waitFor("once@example.com");
    process.kill(pluginHostPid(), "SIGKILL");
    await waitFor(() => g.hits() >= 2, {
      timeoutMs: 15_000,
      description: "the retried attempt to reach the gate",
    });
    g.release();
    const r = await finished(s, "crashy", started.id);
    expect(r.status, JSON.stringify(r)).toBe("succeeded");
    expect(r.steps?.[0]?.attempts.map((a) => [a.number, a.status, a.errorCode])).toEqual([
      [1, "failed", "sandbox_crashed"],
      [2, "succeeded", ""],
    ]);
    await new Promise((res) => setTimeout(res, 300));
    expect(s.mail.to("once@example.com")).toHaveLength(1);
  });
});

describe("kill -9 of the kernel mid-run (separate processes, Postgres + NATS)", () => {
  const name = uniqueName("kcrash");
  const logDir = mkdtempSync(join(tmpdir(), "lf-kcrash-logs-"));
  // trusted by the launched processes through NODE_EXTRA_CA_CERTS
  const tls = selfSignedCert(logDir);
  const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  const receiver = createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString("utf8");
    });
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.setHeader("content-type", "application/json");
      res.end('{"ok":true}');
    });
  });
  let stack: Launched;
  let mail: SmtpCapture;
  let g: Awaited<ReturnType<typeof gate>>;

  beforeAll(async () => {
    mail = await startSmtpCapture();
    g = await gate();
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    stack = await launch({
      logDir,
      env: {
        LATCHFLOW_ENV: "test",
        LATCHFLOW_LOG_LEVEL: "info",
        LATCHFLOW_DATABASE_URL: inject("pgUrl"),
        LATCHFLOW_DB_SCHEMA_PREFIX: `${name}_`,
        LATCHFLOW_DB_POOL_MAX: "3",
        LATCHFLOW_NATS_URL: inject("natsUrl"),
        LATCHFLOW_NATS_STREAM: name.toUpperCase(),
        LATCHFLOW_NATS_NAMESPACE: name,
        LATCHFLOW_BOOTSTRAP_TOKEN: OWNER_TOKEN,
        LATCHFLOW_BOOTSTRAP_EMAIL: "owner@example.com",
        LATCHFLOW_SMTP_URL: mail.url,
        LATCHFLOW_KERNEL_LEASE_MS: "1500",
        LATCHFLOW_KERNEL_POLL_MS: "100",
        LATCHFLOW_EGRESS_ALLOW_PRIVATE: "true",
        NODE_EXTRA_CA_CERTS: tls.certFile,
      },
    });
    await installSlow(stack.gatewayUrl);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await mail?.stop();
    await g?.close();
    await new Promise<void>((r) => receiver.close(() => r()));
    await dropSchemas(inject("pgUrl"), `${name}_`);
    await deleteNatsStream(inject("natsUrl"), name.toUpperCase());
    rmSync(logDir, { recursive: true, force: true });
  }, 60_000);

  it("the run completes after the restart; the email before the crash is sent once, the one after once", async () => {
    await put(
      stack.gatewayUrl,
      pipeline(`    - id: before
      uses: email@1
      with: { to: [before@example.com], subject: "before", text: "step 1" }
    - id: slow
      uses: latchflow-plugin-slow/wait@1
      with: { url: "${g.url}", mailTo: during@example.com }
    - id: after
      uses: email@1
      with: { to: [after@example.com], subject: "after", text: "step 3" }
`),
    );
    const { id } = await startRun(stack.gatewayUrl, "crashy");
    await waitFor(() => g.hits() >= 1, { timeoutMs: 15_000, description: "step 2 to wait on the gate" });
    await mail.waitFor("during@example.com");
    await stack.kill("kernel", "SIGKILL");
    g.release();
    await stack.restart("kernel");
    const done = await finished(stack.gatewayUrl, "crashy", id, 30_000);
    expect(done.status, JSON.stringify(done)).toBe("succeeded");
    expect(done.steps?.[1]?.attempts.map((a) => a.status)).toEqual(["abandoned", "succeeded"]);
    await new Promise((res) => setTimeout(res, 500));
    expect(mail.to("before@example.com")).toHaveLength(1);
    expect(mail.to("during@example.com")).toHaveLength(1);
    expect(mail.to("after@example.com")).toHaveLength(1);
  });

  it("a graceful stop (SIGTERM) mid-step does not fail the run: the next kernel resumes the step", async () => {
    const slow = await gate();
    try {
      await put(
        stack.gatewayUrl,
        pipeline(`    - id: slow
      uses: latchflow-plugin-slow/wait@1
      with: { url: "${slow.url}" }
    - id: after
      uses: email@1
      with: { to: [after-term@example.com], subject: "after", text: "step 2" }
`),
      );
      const { id } = await startRun(stack.gatewayUrl, "crashy");
      await waitFor(() => slow.hits() >= 1, {
        timeoutMs: 15_000,
        description: "the step to wait on the gate",
      });
      await stack.kill("kernel", "SIGTERM");
      slow.release();
      await stack.restart("kernel");
      const done = await finished(stack.gatewayUrl, "crashy", id, 30_000);
      expect(done.status, JSON.stringify(done)).toBe("succeeded");
      expect(done.steps?.[0]?.attempts.map((a) => a.status)).toEqual(["abandoned", "succeeded"]);
      expect(mail.to("after-term@example.com")).toHaveLength(1);
    } finally {
      await slow.close();
    }
  });

  it("kill -9 right after a run began (created and first step started in one commit): retried, mail sent once", async () => {
    const slow = await gate();
    try {
      await put(
        stack.gatewayUrl,
        pipeline(`    - id: first
      uses: latchflow-plugin-slow/wait@1
      with: { url: "${slow.url}", mailTo: first-kill@example.com }
`),
      );
      const started = await startRun(stack.gatewayUrl, "crashy");
      // the run was created with its first attempt already started: nothing else was committed before the kill
      expect(started.status).toBe("running");
      await waitFor(() => slow.hits() >= 1, {
        timeoutMs: 15_000,
        description: "the step to wait on the gate",
      });
      await mail.waitFor("first-kill@example.com");
      await stack.kill("kernel", "SIGKILL");
      slow.release();
      await stack.restart("kernel");
      const done = await finished(stack.gatewayUrl, "crashy", started.id, 30_000);
      expect(done.status, JSON.stringify(done)).toBe("succeeded");
      expect(done.steps?.[0]?.attempts.map((a) => [a.number, a.status])).toEqual([
        [1, "abandoned"],
        [2, "succeeded"],
      ]);
      await new Promise((res) => setTimeout(res, 500));
      expect(mail.to("first-kill@example.com")).toHaveLength(1);
    } finally {
      await slow.close();
    }
  });

  it("schedule@1 fires once across a kernel restart", async () => {
    const at = new Date(Date.now() + 3_000).toISOString();
    await putPipeline(
      stack.gatewayUrl,
      "dated",
      `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: dated }
spec:
  triggers:
    - { id: once, uses: schedule@1, with: { at: "${at}" } }
  steps:
    - { id: note, uses: email@1, with: { to: [dated@example.com], subject: "dated", text: "once" } }
`,
    );
    await stack.kill("kernel", "SIGKILL"); // down across the date
    await new Promise((r) => setTimeout(r, 4_000));
    await stack.restart("kernel");
    await mail.waitFor("dated@example.com", () => true, 20_000);
    await stack.kill("kernel", "SIGTERM");
    await stack.restart("kernel");
    await new Promise((r) => setTimeout(r, 2_000));
    const items = await runs(stack.gatewayUrl, "dated");
    expect(items).toHaveLength(1);
    const one = await run(stack.gatewayUrl, "dated", items[0]?.id ?? "");
    expect(one.trigger.payload).toMatchObject({ scheduledAt: at });
    expect(mail.to("dated@example.com")).toHaveLength(1);
  });

  it("http@1 calls out over TLS with an HMAC signature the receiver can check", async () => {
    const key = "outgoing-signing-key-0123456789";
    const api = clientOf(stack.gatewayUrl);
    await api.setPluginSecret({
      params: { name: "latchflow-http", secret: "out-key" },
      body: { value: key },
    });
    await api.updatePlugin({ params: { name: "http" }, body: { approvedHosts: ["127.0.0.1"] } });
    const port = (receiver.address() as AddressInfo).port;
    await putPipeline(
      stack.gatewayUrl,
      "call-out",
      `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: call-out }
spec:
  triggers:
    - { id: go, uses: manual@1 }
  steps:
    - id: notify
      uses: http@1
      with: { url: "https://127.0.0.1:${port}/in", body: { pipeline: "{{ pipeline.name }}", note: "{{ trigger.payload.payload.note }}" }, signWithSecret: out-key }
`,
    );
    const { id } = await startRun(stack.gatewayUrl, "call-out", { note: "hello" });
    const done = await finished(stack.gatewayUrl, "call-out", id);
    expect(done.status, JSON.stringify(done)).toBe("succeeded");
    expect(done.steps?.[0]?.outputs).toMatchObject({ status: 200, body: { ok: true } });
    expect(received).toHaveLength(1);
    const [call] = received;
    expect(JSON.parse(call?.body ?? "")).toEqual({ pipeline: "call-out", note: "hello" });
    const ts = String(call?.headers["x-latchflow-timestamp"]);
    const expected = createHmac("sha256", key).update(`${ts}.${call?.body}`).digest("hex");
    expect(call?.headers["x-latchflow-signature"]).toBe(`sha256=${expected}`);
    expect(call?.headers["idempotency-key"]).toBe(`${id}:notify`);
  });
});
