// Pipelines: trigger fired → first action started and runs per second, embedded (`latchflow start`: SQLite,
// in-process bus) and distributed (six processes on Postgres + NATS). The servers run as processes of their own,
// as users run them; this process is only the client and the SMTP server the runs mail to, so neither takes the
// servers' CPU (ADR 078). The sandbox call alone is the `sandbox` section, bench/sandbox.ts. Baseline measured in
// the same run: GET /healthz on the same gateway for the latencies.

import { SERVICES } from "@latchflow/deploy-local";
import { type SmtpCapture, startSmtpCapture } from "@latchflow/testing";
import { withDistributed } from "./distributed.js";
import { withEmbeddedProcess } from "./embedded-process.js";
import { cpuPer, cpuSnapshot } from "./process-cpu.js";
import { printTable, type Summary, summarize, timeEach } from "./stats.js";

const TOKEN = "bench-bootstrap-token-0123456789abcdef";
const N = Number(process.env.BENCH_PIPELINE_N ?? 200);
const THROUGHPUT_RUNS = Number(process.env.BENCH_PIPELINE_RUNS ?? 200);
const CONCURRENCY = 16;

const PIPELINE = `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: bench }
spec:
  triggers:
    - { id: go, uses: manual@1 }
  steps:
    - { id: tell, uses: email@1, with: { to: [bench@example.com], subject: "run", text: "{{ trigger.kind }}" } }
`;

interface RunView {
  id: string;
  status: string;
  createdAt: string;
  steps: { attempts: { startedAt: string }[] }[];
}

async function api(base: string, method: string, path: string, body?: unknown, type = "application/json") {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": type },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function done(base: string, id: string): Promise<RunView> {
  for (;;) {
    const r = (await api(base, "GET", `/api/v1/pipelines/bench/runs/${id}`)) as RunView;
    if (r.status === "succeeded" || r.status === "failed") return r;
    await new Promise((res) => setTimeout(res, 5));
  }
}

interface Measured {
  healthz: Summary;
  latency: Summary;
  latencyMail: Summary;
  runsPerSecond: number;
  /** CPU per run of each process during the throughput half */
  cpu: string;
}

async function measureStack(
  label: string,
  base: string,
  mail: SmtpCapture,
  // the stack's processes (each with its descendants: the plugin host) and the machine's servers it uses, by name
  processes: { pids: Record<string, number>; byName: string[] },
): Promise<Measured> {
  await api(base, "PUT", "/api/v1/pipelines/bench", PIPELINE, "application/yaml");
  const health = async () => {
    await (await fetch(`${base}/healthz`)).arrayBuffer();
  };
  await timeEach(20, health);
  const mail0 = mail.messages.length;
  const healthz = summarize(`GET /healthz (${label})`, await timeEach(N, health));
  // trigger fired (the run row's creation) → first action started (its first attempt), from the kernel's clock
  // and, from outside the kernel's records, → the action's mail reaching the SMTP server (one run at a time,
  // so the newest message is this run's)
  const firstAction: number[] = [];
  const mailed: number[] = [];
  for (let i = 0; i < N + 10; i++) {
    const run = (await api(base, "POST", "/api/v1/pipelines/bench/runs", {})) as RunView;
    const r = await done(base, run.id);
    const started = r.steps[0]?.attempts[0]?.startedAt;
    const message = mail.messages[mail0 + i];
    if (i >= 10 && started) firstAction.push(Date.parse(started) - Date.parse(r.createdAt));
    if (i >= 10 && message) mailed.push(message.receivedAt - Date.parse(r.createdAt));
  }
  const latency = summarize(`trigger fired → first action started (${label})`, firstAction);
  const latencyMail = summarize(`trigger fired → its mail at the SMTP server (${label})`, mailed);
  // throughput: THROUGHPUT_RUNS started CONCURRENCY at a time; the clock stops when the last one finished.
  // The run list (200 runs, read and serialised in this same process) is checked only once every run's mail
  // reached the SMTP server, then every 50 ms: polling it all along cost ~3.5 ms of CPU per run, a fifth of
  // what the runs themselves cost, taken from them (ADR 047).
  const mailsBefore = mail.messages.length;
  const cpu0 = cpuSnapshot(processes.pids, processes.byName);
  const benchCpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  const ids = new Set<string>();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < THROUGHPUT_RUNS) {
        next++;
        ids.add(((await api(base, "POST", "/api/v1/pipelines/bench/runs", {})) as RunView).id);
      }
    }),
  );
  const throughputRuns = async () => {
    const page = (await api(base, "GET", "/api/v1/pipelines/bench/runs?limit=200")) as { items: RunView[] };
    return page.items.filter((r) => ids.has(r.id));
  };
  const unfinished = async () =>
    (await throughputRuns()).filter((r) => r.status !== "succeeded" && r.status !== "failed").length;
  // (a run that failed sends no mail: the list is still looked at once a second meanwhile)
  for (let i = 1; mail.messages.length < mailsBefore + THROUGHPUT_RUNS; i++) {
    await new Promise((res) => setTimeout(res, 10));
    if (i % 100 === 0 && (await unfinished()) === 0) break;
  }
  while ((await unfinished()) > 0) await new Promise((res) => setTimeout(res, 50));
  const seconds = (performance.now() - t0) / 1000;
  const benchCpu = process.cpuUsage(benchCpu0);
  const benchMs = (benchCpu.user + benchCpu.system) / 1000 / THROUGHPUT_RUNS;
  const cpu = `${cpuPer(cpu0, cpuSnapshot(processes.pids, processes.byName), THROUGHPUT_RUNS)}, the bench ${benchMs.toFixed(2)} ms`;
  const failed = (await throughputRuns()).filter((r) => r.status === "failed").length;
  // progress (the tables follow once every stack ran); a failed run is a fault, not a slow run (ADR 076)
  console.log(
    `${label}: first action p50 ${latency.p50.toFixed(2)} ms, ${(THROUGHPUT_RUNS / seconds).toFixed(1)} runs/s, ${failed} of ${THROUGHPUT_RUNS} runs failed`,
  );
  return { healthz, latency, latencyMail, runsPerSecond: THROUGHPUT_RUNS / seconds, cpu };
}

// what both stacks are started with on top of the helpers' own settings
function stackEnv(mail: SmtpCapture): Record<string, string> {
  return {
    LATCHFLOW_SMTP_URL: mail.url,
    LATCHFLOW_DB_POOL_MAX: "8",
    // a loaded (shared) machine must slow the figures down, not fail the run
    LATCHFLOW_GRPC_DEADLINE_MS: "60000",
  };
}

export async function benchPipelines(pgUrl: string, natsUrl: string): Promise<void> {
  const mail = await startSmtpCapture();
  try {
    const embeddedLabel = "embedded: latchflow start";
    const embedded = await withEmbeddedProcess(
      TOKEN,
      (url, pid) => measureStack(embeddedLabel, url, mail, { pids: { server: pid }, byName: [] }),
      stackEnv(mail),
    );
    const distLabel = "distributed: 6 processes, Postgres + NATS";
    const dist = await withDistributed(
      { pg: pgUrl, nats: natsUrl },
      "bench_pipe",
      TOKEN,
      (url, launched) =>
        measureStack(distLabel, url, mail, {
          pids: Object.fromEntries(
            SERVICES.flatMap((s) => {
              const pid = launched.pid(s);
              return pid === undefined ? [] : [[s, pid]];
            }),
          ),
          byName: ["postgres", "nats-server"],
        }),
      stackEnv(mail),
    );
    const rows: Summary[] = [
      embedded.healthz,
      embedded.latency,
      embedded.latencyMail,
      dist.healthz,
      dist.latency,
      dist.latencyMail,
    ];
    printTable("pipeline latency", rows, embedded.healthz);
    console.log(
      `\nruns per second (${THROUGHPUT_RUNS} runs, ${CONCURRENCY} at a time, manual@1 → email@1 to a local SMTP server): ` +
        `embedded ${embedded.runsPerSecond.toFixed(1)}/s, distributed ${dist.runsPerSecond.toFixed(1)}/s\n` +
        `CPU per run, embedded: ${embedded.cpu}\nCPU per run, distributed: ${dist.cpu}`,
    );
  } finally {
    await mail.stop();
  }
}
