import { CallerKind, DEFAULT_TENANT, type RequestContext, unauthenticated } from "@latchflow/runtime";
import type { Context } from "koa";
import type { GatewayClients } from "./clients.js";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Resolves the caller of a request through the auth service's gRPC API. */
export async function authenticate(koa: Context, clients: GatewayClients): Promise<RequestContext> {
  const header = koa.get("authorization");
  if (!header) throw unauthenticated("Missing Authorization: Bearer <token> header");
  const match = BEARER.exec(header);
  if (!match?.[1]) throw unauthenticated("Authorization header must be Bearer <token>");
  const requestId = String(koa.state.requestId);
  const identity = await clients.auth.authenticate(
    { token: match[1] },
    { requestId, tenant: DEFAULT_TENANT },
  );
  return {
    requestId,
    tenant: identity.tenant,
    caller: {
      kind: CallerKind.Token,
      id: identity.tokenId,
      userId: identity.userId,
      role: identity.role,
      scopes: identity.scopes,
    },
  };
}
