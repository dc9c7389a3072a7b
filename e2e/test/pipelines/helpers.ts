import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Client, createClient, operations, type schemas } from "@latchflow/api";
import type { TestBus, TestDialect } from "@latchflow/runtime/testing";
import { waitFor } from "@latchflow/testing";
import { expect } from "vitest";
import { OWNER_TOKEN, type Stack, startStack } from "../stack.js";

/** A run as GET /api/v1/pipelines/{name}/runs/{id} answers it (the contract's `Run`). */
export type RunView = schemas.Run;

/** A stack whose kernel polls often, so timers fire soon after the clock moves. */
export function pipelineStack(
  dialect: TestDialect,
  bus: TestBus,
  prefix: string,
  env: Record<string, string> = {},
) {
  return startStack(dialect, bus, prefix, { LATCHFLOW_KERNEL_POLL_MS: "50", ...env });
}

/** A gateway to talk to: a test stack, or the URL of a launched distributed one (as the owner). */
export type Gateway = Stack | string;

/** The owner's typed client of a gateway, every answer checked against the contract. */
export const clientOf = (g: Gateway): Client =>
  typeof g === "string" ? createClient({ baseUrl: g, token: OWNER_TOKEN, validate: operations }) : g.client();

/** Stores a pipeline's YAML as the owner; asserts 200 (naming the diagnostics when it is refused). */
export async function putPipeline(g: Gateway, name: string, yaml: string): Promise<schemas.Pipeline> {
  const res = await clientOf(g).raw.putPipeline({
    params: { name },
    body: yaml,
    contentType: "application/yaml",
  });
  if (!res.ok) throw new Error(`PUT pipeline ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  expect(res.status).toBe(200);
  return res.body;
}

/** A stored pipeline with its parsed document (GET …?format=json), as the owner. */
export async function pipelineJson(g: Gateway, name: string): Promise<schemas.PipelineWithDocument> {
  const res = await clientOf(g).getPipeline({ params: { name }, query: { format: "json" } });
  if (res instanceof Response) throw new Error(`expected JSON, got ${res.headers.get("content-type")}`);
  return res;
}

/** A stored pipeline's source as served (GET … without a format: the YAML as written), as the owner. */
export async function pipelineSource(g: Gateway, name: string): Promise<Response> {
  const res = await clientOf(g).getPipeline({ params: { name } });
  if (!(res instanceof Response)) throw new Error(`expected the source, got ${JSON.stringify(res)}`);
  return res;
}

/** Runs a pipeline by hand (its manual@1 trigger) as the owner; returns the queued run. */
export function startRun(g: Gateway, pipeline: string, payload?: unknown): Promise<schemas.Run> {
  return clientOf(g).startPipelineRun({
    params: { name: pipeline },
    body: payload === undefined ? {} : { payload },
  });
}

export async function runs(g: Gateway, pipeline: string): Promise<schemas.Run[]> {
  return (await clientOf(g).listPipelineRuns({ params: { name: pipeline } })).items;
}

export function run(g: Gateway, pipeline: string, id: string): Promise<schemas.Run> {
  return clientOf(g).getPipelineRun({ params: { name: pipeline, runId: id } });
}

/** Waits until the run is over (succeeded or failed) and returns it with its steps. */
export function finished(g: Gateway, pipeline: string, id: string, timeoutMs = 20_000): Promise<schemas.Run> {
  return waitFor(
    async () => {
      const r = await run(g, pipeline, id);
      return r.status === "succeeded" || r.status === "failed" ? r : undefined;
    },
    { timeoutMs, description: `run ${id} of ${pipeline} to finish` },
  );
}

/** Waits for the pipeline's n-th run (1-based, oldest first) to exist and finish. */
export async function nthRun(
  s: Stack,
  pipeline: string,
  n: number,
  timeoutMs = 20_000,
): Promise<schemas.Run> {
  const list = await waitFor(
    async () => {
      const l = await runs(s, pipeline);
      return l.length >= n ? l : undefined;
    },
    { timeoutMs, description: `run ${n} of ${pipeline}` },
  );
  return finished(s, pipeline, list[list.length - n]!.id, timeoutMs);
}

/** One output of one step of a run (undefined when the step or the output is missing). */
export function output(r: schemas.Run, stepId: string, name: string): unknown {
  const outputs = r.steps?.find((x) => x.stepId === stepId)?.outputs;
  return typeof outputs === "object" && outputs !== null ? Reflect.get(outputs, name) : undefined;
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
