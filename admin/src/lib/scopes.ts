import { Scope } from "@latchflow/api/scopes";

/** One scope in words. */
export interface ScopeInfo {
  scope: Scope;
  label: string;
}

/** The scopes grouped by what they act on, each in plain words (token scopes, grants, the access table). */
export const SCOPE_GROUPS: readonly { label: string; scopes: readonly ScopeInfo[] }[] = [
  {
    label: "Bundles",
    scopes: [
      { scope: Scope.BundlesRead, label: "See bundles" },
      { scope: Scope.BundlesWrite, label: "Create, change and release bundles" },
    ],
  },
  {
    label: "Files",
    scopes: [
      { scope: Scope.FilesRead, label: "See and download files" },
      { scope: Scope.FilesWrite, label: "Upload, change and delete files" },
    ],
  },
  {
    label: "Recipients",
    scopes: [
      { scope: Scope.RecipientsRead, label: "See recipients" },
      { scope: Scope.RecipientsWrite, label: "Add, change and remove recipients" },
    ],
  },
  {
    label: "Pipelines",
    scopes: [
      { scope: Scope.PipelinesRun, label: "Run pipelines" },
      { scope: Scope.PipelinesWrite, label: "Write and change pipelines" },
    ],
  },
  { label: "Audit", scopes: [{ scope: Scope.AuditRead, label: "Read the audit trail" }] },
  { label: "Plugins", scopes: [{ scope: Scope.PluginsAdmin, label: "Install and configure plugins" }] },
  { label: "Users", scopes: [{ scope: Scope.UsersAdmin, label: "Manage users and their access" }] },
  {
    label: "API tokens",
    scopes: [
      { scope: Scope.TokensRead, label: "List their own API tokens" },
      { scope: Scope.TokensWrite, label: "Create, rotate and revoke API tokens, approve devices" },
    ],
  },
];

const LABELS = new Map<string, string>(
  SCOPE_GROUPS.flatMap((g) => g.scopes.map((s) => [s.scope, s.label] as const)),
);

/** A scope in words ("See bundles"); the scope itself when unknown. */
export const scopeLabel = (scope: string): string => LABELS.get(scope) ?? scope;

/** The groups narrowed to the scopes in `held`, groups left empty dropped (what a token may be given). */
export function groupsWithin(held: readonly string[]) {
  return SCOPE_GROUPS.map((g) => ({ ...g, scopes: g.scopes.filter((s) => held.includes(s.scope)) })).filter(
    (g) => g.scopes.length > 0,
  );
}
