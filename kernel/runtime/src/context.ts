/** Who is calling. Travels HTTP → gRPC metadata → NATS headers → plugin invocations. */
export const CallerKind = {
  User: "user",
  Token: "token",
  Recipient: "recipient",
  System: "system",
  PipelineRun: "pipeline_run",
} as const;
export type CallerKind = (typeof CallerKind)[keyof typeof CallerKind];

export interface Caller {
  kind: CallerKind;
  /** user id, token id, recipient id, run id, or a system component name */
  id: string;
  /** the user behind a token, when kind is "token" */
  userId?: string;
  role?: string;
  scopes?: string[];
  /** the session used, when the caller signed in with a cookie */
  sessionId?: string;
}

/** Where a request came from, for rate limits, session lists and the audit trail. */
export interface ClientInfo {
  ip?: string;
  userAgent?: string;
}

/** Per-request context carried across every hop. */
export interface RequestContext {
  requestId: string;
  tenant: string;
  caller?: Caller;
  client?: ClientInfo;
  /** absolute deadline (epoch ms) the caller is willing to wait for */
  deadline?: number;
}

export const DEFAULT_TENANT = "default";

export function systemContext(component: string, requestId: string, tenant = DEFAULT_TENANT): RequestContext {
  return { requestId, tenant, caller: { kind: CallerKind.System, id: component } };
}

/** The event actor for a request: the user behind a token, else the caller itself. */
export function actorOf(ctx: RequestContext): { kind: CallerKind; id: string } {
  const caller = ctx.caller;
  if (!caller) return { kind: CallerKind.System, id: "unknown" };
  if (caller.kind === CallerKind.Token && caller.userId) return { kind: CallerKind.User, id: caller.userId };
  return { kind: caller.kind, id: caller.id };
}
