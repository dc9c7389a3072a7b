import { CallerKind, permissionDenied, type RequestContext, type Scope } from "@latchflow/runtime";

/**
 * The one authorization decision of the gateway: may this caller do what the route requires?
 * Today: the token's scopes. The identity issue adds roles and per-resource executor grants here.
 */
export function authorize(ctx: RequestContext, scope: Scope): void {
  const caller = ctx.caller;
  if (!caller || caller.kind === CallerKind.System) throw permissionDenied();
  if (!caller.scopes?.includes(scope)) {
    throw permissionDenied(`This token lacks the ${scope} scope`, { requiredScope: scope });
  }
}
