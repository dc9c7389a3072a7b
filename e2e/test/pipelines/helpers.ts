import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestBus, TestDialect } from "@latchflow/runtime/testing";
import { waitFor } from "@latchflow/testing";
import { expect } from "vitest";
import { http } from "../http.js";
import { OWNER_TOKEN, type Stack, startStack } from "../stack.js";

export interface RunView {
  id: string;
  status: string;
  errorCode: string;
  errorMessage: string;
  trigger: { id: string; uses: string; kind: string; payload: Record<string, unknown> };
  steps?: {
    stepId: string;
    status: string;
    outputs: Record<string, unknown> | null;
    errorCode: string;
    attempts: { number: number; status: string; errorCode: string }[];
  }[];
}

/** A stack whose kernel polls often, so timers fire soon after the clock moves. */
export function pipelineStack(
  dialect: TestDialect,
  bus: TestBus,
  prefix: string,
  env: Record<string, string> = {},
) {
  return startStack(dialect, bus, prefix, { LATCHFLOW_KERNEL_POLL_MS: "50", ...env });
}

export async function putPipeline(s: Stack, name: string, yaml: string): Promise<void> {
  const res = await http(s.base, "PUT", `/api/v1/pipelines/${name}`, {
    token: OWNER_TOKEN,
    body: yaml,
    headers: { "content-type": "application/yaml" },
  });
  expect(res.status, res.text).toBe(200);
}

export async function runs(s: Stack, pipeline: string): Promise<RunView[]> {
  const res = await s.api("GET", `/api/v1/pipelines/${pipeline}/runs`);
  expect(res.status, res.text).toBe(200);
  return (res.body as { items: RunView[] }).items;
}

/** A gateway to read runs from: a test stack, or the URL of a launched distributed one. */
type Gateway = Stack | string;
const baseOf = (g: Gateway) => (typeof g === "string" ? g : g.base);

export async function run(g: Gateway, pipeline: string, id: string): Promise<RunView> {
  const res = await http(baseOf(g), "GET", `/api/v1/pipelines/${pipeline}/runs/${id}`, {
    token: OWNER_TOKEN,
  });
  expect(res.status, res.text).toBe(200);
  return res.body as RunView;
}

/** Waits until the run is over (succeeded or failed) and returns it with its steps. */
export function finished(g: Gateway, pipeline: string, id: string, timeoutMs = 20_000): Promise<RunView> {
  return waitFor(
    async () => {
      const r = await run(g, pipeline, id);
      return r.status === "succeeded" || r.status === "failed" ? r : undefined;
    },
    { timeoutMs, description: `run ${id} of ${pipeline} to finish` },
  );
}

/** Waits for the pipeline's n-th run (1-based, oldest first) to exist and finish. */
export async function nthRun(s: Stack, pipeline: string, n: number, timeoutMs = 20_000): Promise<RunView> {
  const list = await waitFor(
    async () => {
      const l = await runs(s, pipeline);
      return l.length >= n ? l : undefined;
    },
    { timeoutMs, description: `run ${n} of ${pipeline}` },
  );
  return finished(s, pipeline, (list[list.length - n] as RunView).id, timeoutMs);
}

/** Headers of a webhook request signed the way webhook@1 checks. */
export function signed(key: string, body: string, at = Math.floor(Date.now() / 1000)) {
  const signature = createHmac("sha256", key).update(`${at}.${body}`).digest("hex");
  return {
    "content-type": "application/json",
    "x-latchflow-timestamp": String(at),
    "x-latchflow-signature": `sha256=${signature}`,
  };
}

/** A self-signed certificate for 127.0.0.1 (key and certificate written into `dir`, which the caller owns). */
export function selfSignedCert(dir: string) {
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1"].concat([
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ]),
    { stdio: "ignore" },
  );
  return { key: readFileSync(key), cert: readFileSync(cert), certFile: cert };
}
