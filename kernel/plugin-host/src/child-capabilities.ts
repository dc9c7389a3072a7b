import {
  type HostCallName,
  type HostCapabilities,
  ISOLATE_TO_HOST,
  type Json,
  memberOfCall,
} from "@latchflow/sandbox";
import type { CapabilityName } from "./protocol.js";

/** How the child reaches the parent for one invocation. */
export interface CapabilityForwarder {
  /** Async host call: sends `capability_call`, resolves with the parent's JSON result or rejects with its error. */
  call(name: HostCallName, args: unknown[]): Promise<Json>;
  /** Sync host call (`log`, `emit`): sends `capability_notify`, no answer. */
  notify(name: HostCallName, args: unknown[]): void;
}

/**
 * The child's `HostCapabilities` for one invocation: forwarding stubs for the granted members only
 * (the sandbox then reports every other member as `capability_denied`). Built from the sandbox's own
 * list of host calls, so a new call there is forwarded without a change here.
 */
export function forwardingCapabilities(
  granted: readonly CapabilityName[],
  forward: CapabilityForwarder,
): HostCapabilities {
  const caps: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(ISOLATE_TO_HOST) as [HostCallName, { mode: string }][]) {
    const member = memberOfCall(name);
    if (!granted.includes(member)) continue;
    const method = name === member ? undefined : name.slice(member.length + 1);
    const fn =
      def.mode === "sync"
        ? (...args: unknown[]) => forward.notify(name, args)
        : (...args: unknown[]) => forward.call(name, args);
    if (method === undefined) {
      caps[member] = fn;
    } else {
      const group = (caps[member] ?? {}) as Record<string, unknown>;
      group[method] = fn;
      caps[member] = group;
    }
  }
  return caps as HostCapabilities;
}
