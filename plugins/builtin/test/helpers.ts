import type { ActionInput, TriggerEvent, TriggerInput } from "@latchflow/plugin-sdk";
import { buildPlugin, runPlugin } from "@latchflow/plugin-sdk/node";
import type { HostCapabilities, Json } from "@latchflow/sandbox";
import { builtinEntries } from "../src/node.js";

/** Builds one built-in plugin (by its short name, e.g. `cron`) from source. */
export async function buildBuiltin(short: string): Promise<string> {
  const entry = builtinEntries.find((e) => e.name === `latchflow-${short}`);
  if (!entry) throw new Error(`no built-in plugin ${short}`);
  return (await buildPlugin({ entry: entry.file })).code;
}

/** Runs a capability of a built bundle in the real sandbox. */
export function run(code: string, capability: string, input: unknown, host: HostCapabilities): Promise<Json> {
  return runPlugin({ code, capability, input: input as Json, host });
}

/** A trigger input with sensible defaults. */
export function triggerIn(
  uses: string,
  event: TriggerEvent,
  config: Record<string, unknown>,
  now: string,
  extra: Partial<TriggerInput> = {},
): TriggerInput {
  return {
    event,
    config: config as TriggerInput["config"],
    now,
    pipeline: { name: "family-legacy", version: 3, ownerEmail: "owner@example.com" },
    trigger: { id: "t1", uses },
    links: { checkIn: "https://latchflow.example/check-in/abc" },
    ...extra,
  };
}

/** An action input with sensible defaults. */
export function actionIn(config: Record<string, unknown>, extra: Partial<ActionInput> = {}): ActionInput {
  return {
    config: config as ActionInput["config"],
    trigger: {
      id: "switch",
      uses: "deadman@1",
      kind: "fired",
      firedAt: "2030-01-01T00:00:00.000Z",
      payload: { deadline: "2030-01-01T00:00:00.000Z" },
    },
    steps: {},
    run: { id: "run-1", attempt: 1, idempotencyKey: "run-1:step-1" },
    step: { id: "step-1" },
    pipeline: { name: "family-legacy", version: 3, ownerEmail: "owner@example.com" },
    now: "2030-01-02T00:00:00.000Z",
    portalUrl: "https://portal.example.com/portal/",
    ...extra,
  };
}
