import { parseArgs } from "node:util";
import type { Json, JsonObject } from "@latchflow/sandbox";
import type { ControlAction } from "../contract.js";
import { type ActionCall, createHarness, type HarnessEvent } from "../test-harness.js";
import { type Command, out, UsageError } from "./command.js";

const EVENTS = ["arm", "timer", "request", "control", "status"] as const;
const CONTROLS: readonly ControlAction[] = ["check-in", "pause", "resume"];

function json<T extends Json>(flag: string, text: string | undefined, object: boolean): T | undefined {
  if (text === undefined) return undefined;
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch {
    throw new UsageError(`--${flag} is not valid JSON`);
  }
  if (object && (typeof value !== "object" || value === null || Array.isArray(value)))
    throw new UsageError(`--${flag} must be a JSON object`);
  return value as T;
}

/** The trigger options of the command line. */
interface EventOptions {
  event?: string;
  "timer-key"?: string;
  body?: string;
  headers?: string;
  action?: string;
  until?: string;
}

function eventOf(values: EventOptions): HarnessEvent {
  const type = values.event ?? "arm";
  if (!EVENTS.includes(type as (typeof EVENTS)[number]))
    throw new UsageError(`--event must be one of ${EVENTS.join(", ")}`);
  switch (type) {
    case "timer":
      if (!values["timer-key"]) throw new UsageError("--event timer needs --timer-key <key>");
      return { type: "timer", key: values["timer-key"] };
    case "request":
      return {
        type: "request",
        body: values.body ?? "",
        ...(values.headers ? { headers: json<Record<string, string>>("headers", values.headers, true) } : {}),
      };
    case "control": {
      const action = values.action as ControlAction;
      if (!CONTROLS.includes(action))
        throw new UsageError(`--event control needs --action ${CONTROLS.join("|")}`);
      return { type: "control", action, ...(values.until ? { until: values.until } : {}) };
    }
    default:
      return { type: type as "arm" | "status" };
  }
}

export const testCommand: Command = {
  name: "test",
  usage: `test   --capability <key>@<major> [--file dist/plugin.js] [--config '<json>'] [--now <iso>]
           actions:  [--trigger '<json>'] [--steps '<json>'] [--run '<json>'] [--step <id>] [--timeout ms]
           triggers: [--event arm|timer|request|control|status] [--timer-key k] [--body text]
                     [--headers '<json>'] [--action check-in|pause|resume] [--until <iso>]
           [--pipeline '<json>'] [--secret name=value]... [--allow-private]
         run one capability as the server does: the server's input, host capabilities as recorded fakes
         (manifest permissions and fetch hosts enforced), the same limits and sandbox`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        file: { type: "string", default: "dist/plugin.js" },
        capability: { type: "string" },
        config: { type: "string" },
        trigger: { type: "string" },
        steps: { type: "string" },
        run: { type: "string" },
        step: { type: "string" },
        timeout: { type: "string" },
        pipeline: { type: "string" },
        now: { type: "string" },
        event: { type: "string" },
        "timer-key": { type: "string" },
        body: { type: "string" },
        headers: { type: "string" },
        action: { type: "string" },
        until: { type: "string" },
        secret: { type: "string", multiple: true, default: [] },
        "allow-private": { type: "boolean", default: false },
      },
    });
    if (!values.capability) throw new UsageError("test needs --capability <key>@<major>");
    if (values.now !== undefined && Number.isNaN(Date.parse(values.now)))
      throw new UsageError("--now must be an ISO 8601 instant");
    const secrets: Record<string, string> = {};
    for (const pair of values.secret) {
      const at = pair.indexOf("=");
      if (at <= 0) throw new UsageError(`--secret expects name=value, got "${pair}"`);
      secrets[pair.slice(0, at)] = pair.slice(at + 1);
    }
    const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
    if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs <= 0))
      throw new UsageError("--timeout must be milliseconds");
    const pipeline = json<JsonObject>("pipeline", values.pipeline, true);
    const harness = await createHarness({
      file: values.file,
      secrets,
      allowPrivate: values["allow-private"],
      ...(values.now !== undefined ? { now: values.now } : {}),
      ...(pipeline ? { pipeline } : {}),
    });
    try {
      const config = json<JsonObject>("config", values.config, true) ?? {};
      const kind = harness.manifest.capabilities.find(
        (c) => `${c.key}@${c.major}` === values.capability,
      )?.kind;
      let outcome: { status: string } & Record<string, unknown>;
      if (kind === "trigger") {
        outcome = { ...(await harness.trigger(values.capability, eventOf(values), { config })) };
      } else {
        const call: ActionCall = { config };
        const trigger = json<JsonObject>("trigger", values.trigger, true);
        const steps = json<JsonObject>("steps", values.steps, true);
        const run = json<JsonObject>("run", values.run, true);
        if (trigger) call.trigger = trigger as ActionCall["trigger"];
        if (steps) call.steps = steps as ActionCall["steps"];
        if (run) call.run = run as ActionCall["run"];
        if (values.step) call.stepId = values.step;
        if (timeoutMs !== undefined) call.timeoutMs = timeoutMs;
        outcome = { ...(await harness.action(values.capability, call)) };
      }
      const { state } = harness;
      const kv = Object.fromEntries(
        [...state.kv].map(([site, values]) => [
          site,
          Object.fromEntries([...values].map(([k, v]) => [k, JSON.parse(v) as Json])),
        ]),
      );
      const report = {
        ...outcome,
        mails: state.mails,
        logs: state.logs,
        emits: state.emits,
        fetches: state.fetches,
        kv,
      };
      out(`${JSON.stringify(report, null, 2)}\n`);
      return outcome.status === "succeeded" ? 0 : 1;
    } finally {
      harness.close();
    }
  },
};
