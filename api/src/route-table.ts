import { ErrorBody } from "./common.js";
import type { BodyType, Operation } from "./operation.js";

/** What the client needs of an operation at run time (no schemas): generated into routes.gen.ts. */
export interface RouteInfo {
  method: Operation["method"];
  path: string;
  bodyTypes?: readonly BodyType[];
  /** the body is a value the operation's schema checks (sent as JSON or a form); otherwise raw bytes as given */
  body?: true;
  /** the success answers, and error answers whose body is not the error shape */
  responses: Record<
    number,
    {
      /** the answer has a JSON body (a schema) */
      json?: true;
      /** the answer may be something else than JSON (its media type) */
      media?: string | readonly string[];
      /** an error answer whose JSON body is not the error shape (e.g. OAuth's at the device flow) */
      ownShape?: true;
    }
  >;
}

/** The route table of a set of operations, as routes.gen.ts holds it. */
export function routeTable(ops: readonly Operation[]): Record<string, RouteInfo> {
  const out: Record<string, RouteInfo> = {};
  for (const op of [...ops].sort((a, b) => a.operationId.localeCompare(b.operationId))) {
    const responses: RouteInfo["responses"] = {};
    for (const [status, spec] of Object.entries(op.responses)) {
      // errors in the one error shape need no entry: the client recognises that shape by itself
      if (Number(status) >= 400 && (!spec.schema || spec.schema === ErrorBody)) continue;
      responses[Number(status)] = {
        ...(spec.schema ? { json: true as const } : {}),
        ...(spec.media ? { media: spec.media } : {}),
        ...(Number(status) >= 400 && spec.schema && spec.schema !== ErrorBody
          ? { ownShape: true as const }
          : {}),
      };
    }
    out[op.operationId] = {
      method: op.method,
      path: op.path,
      ...(op.bodyTypes ? { bodyTypes: op.bodyTypes } : {}),
      ...(op.body ? { body: true as const } : {}),
      responses,
    };
  }
  return out;
}

/** The source of routes.gen.ts. */
export function routeTableSource(ops: readonly Operation[]): string {
  return `// Generated from the operations by api/scripts/openapi.ts (pnpm openapi:gen); do not edit.
// The typed client's run-time table: it lets the client work without loading any schema.
import type { RouteInfo } from "./route-table.js";

export type { RouteInfo };

export const routes: Readonly<Record<string, RouteInfo>> = ${JSON.stringify(routeTable(ops), null, 2)};
`;
}
