import type { schemas } from "@latchflow/api";
import { ALL_SCOPES, Scope } from "@latchflow/api/scopes";
import { scopeLabel } from "./scopes.js";

/** What a grant or override can be put on, with the actions that mean something there. */
export interface ResourceKind {
  type: "*" | "bundle" | "pipeline" | "recipient" | "file";
  label: string;
  /** the singular noun, for "bundle “Family archive”" */
  noun: string;
  actions: readonly Scope[];
}

export const RESOURCE_KINDS: readonly ResourceKind[] = [
  { type: "bundle", label: "One bundle", noun: "bundle", actions: [Scope.BundlesRead, Scope.BundlesWrite] },
  {
    type: "pipeline",
    label: "One pipeline",
    noun: "pipeline",
    actions: [Scope.PipelinesRun, Scope.PipelinesWrite],
  },
  {
    type: "recipient",
    label: "One recipient",
    noun: "recipient",
    actions: [Scope.RecipientsRead, Scope.RecipientsWrite],
  },
  { type: "file", label: "One file", noun: "file", actions: [Scope.FilesRead, Scope.FilesWrite] },
  { type: "*", label: "Everything", noun: "everything", actions: ALL_SCOPES },
];

export const kindOf = (type: string): ResourceKind | undefined => RESOURCE_KINDS.find((k) => k.type === type);

/** Names of resources by type and id, for showing grants by name (ids stay the fallback). */
export type NameOf = (type: string, id: string) => string | undefined;

/** Where a rule applies, in words: "bundle “Family archive”", "every pipeline", "everything". */
export function ruleTarget(
  p: Pick<schemas.Permission, "resourceType" | "resourceId">,
  nameOf: NameOf,
): string {
  if (p.resourceType === "*") return "everything";
  const noun = kindOf(p.resourceType)?.noun ?? p.resourceType;
  if (p.resourceId === "*") return `every ${noun}`;
  const name = nameOf(p.resourceType, p.resourceId);
  return name === undefined ? `${noun} ${p.resourceId}` : `${noun} “${name}”`;
}

/** A rule in a sentence: "See bundles — bundle “Family archive”". */
export const describeRule = (p: schemas.Permission, nameOf: NameOf): string =>
  `${scopeLabel(p.action)} — ${ruleTarget(p, nameOf)}`;

/** An entry of the access table in words: "All", "None", or the granted resources by name. */
export function describeAccess(
  access: schemas.UserAccess["scopes"][number]["access"],
  type: string | undefined,
  nameOf: NameOf,
): string {
  if (access === "all") return "Everything";
  if (access === "none") return "Nothing";
  const names = access.map((id) => (type ? (nameOf(type, id) ?? id) : id));
  return `Only ${names.join(", ")}`;
}

/** The resource type an action's grants usually name (bundles:read → bundle), for naming the ids of its access. */
export const typeOfAction = (action: string): ResourceKind["type"] | undefined =>
  RESOURCE_KINDS.find((k) => k.type !== "*" && k.actions.includes(action as Scope))?.type;

/** Grants (allow) and deny overrides, each oldest first, as the user page lists them. */
export function splitRules(permissions: readonly schemas.Permission[]) {
  return {
    grants: permissions.filter((p) => p.effect === "allow"),
    denies: permissions.filter((p) => p.effect === "deny"),
  };
}

/**
 * The policy's reason with the rule it names spelled out: "denied by permission override 01J…" gains
 * "(See bundles — bundle “Family archive”)". Other reasons are the server's words as they are.
 */
export function explainReason(
  reason: string,
  permissions: readonly schemas.Permission[],
  nameOf: NameOf,
): string {
  const m = /permission (?:override|grant) ([0-9A-Za-z]{26})\b/.exec(reason);
  const rule = m && permissions.find((p) => p.id === m[1]);
  return rule ? `${reason} (${describeRule(rule, nameOf)})` : reason;
}
