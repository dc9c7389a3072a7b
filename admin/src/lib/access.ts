import type { schemas } from "@latchflow/api";
import { Scope } from "@latchflow/api/scopes";

type Me = schemas.Me;

/**
 * What the signed-in user may use, from `getMe`'s `effective` permissions: the app offers only these (the server
 * still decides every call).
 */
export function can(me: Me, scope: Scope, resourceId?: string): boolean {
  const e = me.effective[scope];
  if (e === undefined || e === "none") return false;
  if (e === "all") return true;
  return resourceId === undefined ? e.length > 0 : e.includes(resourceId);
}

/** A navigation entry: shown only when the user holds its scope. */
export interface NavItem {
  href:
    | "/(app)/bundles"
    | "/(app)/runs"
    | "/(app)/users"
    | "/(app)/tokens"
    | "/(app)/plugins"
    | "/(app)/sessions";
  label: string;
  scope?: Scope;
}

/** The pages that exist so far (ADR 027); Recipients, Pipelines, Audit, Users and Settings come later. */
export const NAV: readonly NavItem[] = [
  { href: "/(app)/bundles", label: "Bundles", scope: Scope.BundlesRead },
  // after Pipelines (its scope): reading runs needs pipelines:write, like reading the pipeline
  { href: "/(app)/runs", label: "Runs", scope: Scope.PipelinesWrite },
  { href: "/(app)/users", label: "Users", scope: Scope.UsersAdmin },
  { href: "/(app)/tokens", label: "Tokens", scope: Scope.TokensRead },
  { href: "/(app)/plugins", label: "Plugins", scope: Scope.PluginsAdmin },
  { href: "/(app)/sessions", label: "Sessions" },
];

export const navFor = (me: Me) => NAV.filter((item) => !item.scope || can(me, item.scope));
