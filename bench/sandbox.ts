// Sandbox: one action call (email@1 with one host call), cold and warm, in-process and through the plugin
// host child. Baseline in the same run: a direct in-process call of the same host function with a JSON copy.
// Issue #17 goal 5: warm call p50 ≤ 0.3 ms through the plugin host; the goal table prints p50 ÷ 0.3 ms.
// "Back to back" starts the next call when the previous one resolved (every call's fresh context is
// prepared on the way); "paced" leaves PACE_MS between calls, as arrivals at up to 1000/PACE_MS per second
// would, so the pool's refill happens between calls, off the measured path. The paced pings are the IPC
// floor of a call through the host: a call with one host call makes four crossings, like two pings.

import { builtinPlugins } from "@latchflow/kernel";
import { createPluginHost } from "@latchflow/plugin-host";
import { IsolatedVmRuntime } from "@latchflow/sandbox";
import { printTable, type Summary, summarize, timeEach } from "./stats.js";

const N = Number(process.env.BENCH_SANDBOX_N ?? 1000);
const PACE_MS = 2;
const GOAL_P50_MS = 0.3;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `timeEach` with `PACE_MS` of idle time before each measured call (the pause is not measured). */
async function timePaced(n: number, fn: () => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    await pause(PACE_MS);
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

function printGoal(rows: Summary[]): void {
  console.log(
    `\n## sandbox warm call against issue #17 goal 5 (p50 ≤ ${GOAL_P50_MS} ms through the plugin host)`,
  );
  console.log("| measurement | p50 ms | p50 ÷ goal | met |");
  console.log("|---|---:|---:|---|");
  for (const r of rows) {
    const ratio = r.p50 / GOAL_P50_MS;
    console.log(`| ${r.name} | ${r.p50.toFixed(3)} | ${ratio.toFixed(2)} | ${ratio <= 1 ? "yes" : "no"} |`);
  }
}

export async function benchSandbox(): Promise<void> {
  const [email] = (await builtinPlugins()).filter((b) => b.manifest.name === "latchflow-email");
  if (!email) throw new Error("no email plugin");
  const input = {
    config: { to: ["a@example.com"], subject: "s {{ trigger.kind }}", text: "t" },
    trigger: { id: "t", uses: "manual@1", kind: "manual", firedAt: new Date().toISOString(), payload: {} },
    steps: {},
    run: { id: "r", attempt: 1, idempotencyKey: "r:tell-0000" },
    step: { id: "tell" },
    pipeline: { name: "bench", version: 1, ownerEmail: "" },
    now: new Date().toISOString(),
    portalUrl: "http://localhost",
  };
  const caps = { mail: { send: async () => ({ messageId: "<m@x>", accepted: ["a@example.com"] }) } };
  const direct = async () => {
    await caps.mail.send();
    JSON.parse(JSON.stringify(input));
  };
  await timeEach(200, direct);
  const baseline = summarize(
    "direct in-process call (same host function, JSON copy)",
    await timeEach(2000, direct),
  );

  const runtime = new IsolatedVmRuntime();
  const cold = await timeEach(30, async () => {
    const p = await runtime.load({ name: "email-cold", code: email.source.code });
    await p.invoke("email@1", input, caps, { deadlineMs: 5_000 });
    p.dispose();
  });
  const loaded = await runtime.load({ name: "email-warm", code: email.source.code });
  const inProcess = () => loaded.invoke("email@1", input, caps, { deadlineMs: 5_000 }).then(() => undefined);
  await timeEach(100, inProcess);
  const warm = summarize("warm: in-process sandbox, back to back", await timeEach(N, inProcess));
  const warmPaced = summarize(
    `warm: in-process sandbox, paced (${PACE_MS} ms apart)`,
    await timePaced(N, inProcess),
  );
  loaded.dispose();

  const host = createPluginHost();
  try {
    await host.load(email.source);
    const viaHost = () =>
      host.invoke(email.source.name, "email@1", input, caps, { deadlineMs: 5_000 }).then(() => undefined);
    await timeEach(100, viaHost);
    const hostWarm = summarize(
      "warm: through the plugin host child, back to back",
      await timeEach(N, viaHost),
    );
    const hostPaced = summarize(
      `warm: through the plugin host child, paced (${PACE_MS} ms apart)`,
      await timePaced(N, viaHost),
    );
    await timeEach(100, () => host.ping().then(() => undefined));
    const ping = summarize(
      "plugin host IPC round trip alone (ping)",
      await timeEach(N, () => host.ping().then(() => undefined)),
    );
    // the IPC floor of a paced call with one host call: four messages, each waking a sleeping process (ADR 062)
    const pingPaced = summarize(
      `plugin host IPC alone, paced (${PACE_MS} ms apart): one ping, 2 crossings`,
      await timePaced(N, () => host.ping().then(() => undefined)),
    );
    const twoPingsPaced = summarize(
      "plugin host IPC alone, paced: two pings in a row, 4 crossings (as a call with one host call)",
      await timePaced(N, async () => {
        await host.ping();
        await host.ping();
      }),
    );
    printTable(
      "sandbox call (email@1 with one host call)",
      [
        baseline,
        summarize("cold: new isolate + compile + call", cold),
        warm,
        warmPaced,
        hostWarm,
        hostPaced,
        ping,
        pingPaced,
        twoPingsPaced,
      ],
      baseline,
    );
    printGoal([warm, warmPaced, hostWarm, hostPaced]);
  } finally {
    await host.close();
  }
}
