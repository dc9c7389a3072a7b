import {
  type HostCall,
  type HostCapabilities,
  ISOLATE_TO_HOST,
  type Json,
  SandboxError,
  SandboxErrorCode,
} from "@latchflow/sandbox";
import { CAPABILITY_NAMES, type CallErrorJson, type CapabilityName, toCallError } from "./protocol.js";

/** The sandbox's table of host calls, looked up by name. */
const HOST_CALLS: Readonly<Record<string, HostCall>> = ISOLATE_TO_HOST;

export function grantedNames(capabilities: HostCapabilities): CapabilityName[] {
  return CAPABILITY_NAMES.filter((name) => capabilities[name] !== undefined);
}

/**
 * Parent side of one host call from the child: the name must be a known host call of the right mode,
 * granted by this invocation's `capabilities` (else `capability_denied`); arguments are decoded from
 * JSON (a copy) and the result is encoded to JSON (a copy). Exported for tests.
 */
export async function dispatchCapabilityCall(
  capabilities: HostCapabilities,
  name: string,
  argsJson: string,
  mode: "sync" | "async" = "async",
): Promise<{ ok: true; valueJson: string } | { ok: false; error: CallErrorJson }> {
  try {
    const def = Object.hasOwn(HOST_CALLS, name) ? HOST_CALLS[name] : undefined;
    if (def === undefined || def.mode !== mode) {
      throw new SandboxError(SandboxErrorCode.PluginError, "unknown host call");
    }
    if (!def.granted(capabilities)) {
      throw new SandboxError(SandboxErrorCode.CapabilityDenied, `capability ${name} is not granted`);
    }
    const args: unknown = JSON.parse(argsJson);
    if (!Array.isArray(args)) throw new SandboxError(SandboxErrorCode.PluginError, "malformed host call");
    const value = await def.call(capabilities, args as Json[]);
    return { ok: true, valueJson: JSON.stringify(value ?? null) ?? "null" };
  } catch (err) {
    return { ok: false, error: toCallError(err) };
  }
}
