/**
 * Typed errors of the sandbox. They cross process boundaries as `{ code, message, retryable, details? }`
 * and are recognised by `code`, never by `instanceof`.
 */
export const SandboxErrorCode = {
  /** CPU timeout or wall-clock deadline (including awaited promises) overrun; the isolate was disposed. */
  Timeout: "sandbox_timeout",
  /** The isolate hit its memory limit; isolated-vm disposed it. */
  Memory: "sandbox_memory",
  /** The isolate died for another reason (disposed under a running call, catastrophic error, unloaded). */
  Crashed: "sandbox_crashed",
  /** Return value, log line, emitted event or emit count over its limit. */
  OutputTooLarge: "sandbox_output_too_large",
  /** An ungranted capability was called, or the host refused the call (egress guard). */
  CapabilityDenied: "capability_denied",
  /** The plugin threw or rejected (any value), or returned something that is not JSON. */
  PluginError: "plugin_error",
} as const;
export type SandboxErrorCode = (typeof SandboxErrorCode)[keyof typeof SandboxErrorCode];

const RETRYABLE: Readonly<Record<SandboxErrorCode, boolean>> = {
  sandbox_timeout: true,
  sandbox_memory: false,
  sandbox_crashed: true,
  sandbox_output_too_large: false,
  capability_denied: false,
  plugin_error: false,
};

const CODES = new Set<string>(Object.values(SandboxErrorCode));

/** The serialized form, as it crosses process boundaries. */
export interface SandboxErrorJson {
  code: SandboxErrorCode;
  message: string;
  retryable: boolean;
  details?: Record<string, unknown>;
}

/** The one error class of the sandbox. `message` never contains host secrets. */
export class SandboxError extends Error {
  readonly code: SandboxErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: SandboxErrorCode,
    message: string,
    options: { retryable?: boolean; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SandboxError";
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE[code];
    this.details = options.details;
  }

  toJSON(): SandboxErrorJson {
    const json: SandboxErrorJson = { code: this.code, message: this.message, retryable: this.retryable };
    if (this.details !== undefined) json.details = this.details;
    return json;
  }
}

export function isSandboxErrorCode(value: unknown): value is SandboxErrorCode {
  return typeof value === "string" && CODES.has(value);
}

/** Recognise a sandbox error by shape (works across package copies and processes). */
export function isSandboxError(err: unknown): err is SandboxErrorJson {
  return (
    typeof err === "object" &&
    err !== null &&
    "code" in err &&
    isSandboxErrorCode((err as { code: unknown }).code)
  );
}

/**
 * A host capability's failure as the plugin sees it: an `Error` with a platform error code
 * (`unavailable`, `payload_too_large`, `deadline_exceeded`, …). If the plugin does not catch it, the
 * invocation fails `plugin_error` with `details.hostCode` and this error's `retryable`.
 */
export class HostCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = "HostCallError";
  }
}
