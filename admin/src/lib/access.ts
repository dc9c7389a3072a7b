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

/**
 * Whether the user holds the scope on every resource of the kind: what creating one (an upload, a new bundle) needs,
 * since a grant on some resources does not cover a new one (the server answers 403).
 */
export function canAll(me: Me, scope: Scope): boolean {
  return me.effective[scope] === "all";
}

/** A navigation entry: shown only when the user holds its scope. */
export interface NavItem {
  href:
    | "/(app)"
    | "/(app)/files"
    | "/(app)/bundles"
    | "/(app)/recipients"
    | "/(app)/pipelines"
    | "/(app)/runs"
    | "/(app)/audit"
    | "/(app)/users"
    | "/(app)/tokens"
    | "/(app)/plugins"
    | "/(app)/sessions";
  label: string;
  scope?: Scope;
}

/** The app's pages in the order of the main navigation (ADR 027). */
export const NAV: readonly NavItem[] = [
  { href: "/(app)", label: "Dashboard" },
  { href: "/(app)/files", label: "Files", scope: Scope.FilesRead },
  { href: "/(app)/bundles", label: "Bundles", scope: Scope.BundlesRead },
  { href: "/(app)/recipients", label: "Recipients", scope: Scope.RecipientsRead },
  { href: "/(app)/pipelines", label: "Pipelines", scope: Scope.PipelinesWrite },
  // reading runs needs pipelines:write, like reading the pipeline
  { href: "/(app)/runs", label: "Runs", scope: Scope.PipelinesWrite },
  { href: "/(app)/audit", label: "Audit", scope: Scope.AuditRead },
  { href: "/(app)/users", label: "Users", scope: Scope.UsersAdmin },
  { href: "/(app)/tokens", label: "Tokens", scope: Scope.TokensRead },
  { href: "/(app)/plugins", label: "Plugins", scope: Scope.PluginsAdmin },
  { href: "/(app)/sessions", label: "Sessions" },
];

export const navFor = (me: Me) => NAV.filter((item) => !item.scope || can(me, item.scope));
