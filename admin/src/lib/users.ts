import type { schemas } from "@latchflow/api";
import { Role } from "@latchflow/api/scopes";

type User = schemas.User;

export const ROLES: readonly { role: Role; label: string; hint: string }[] = [
  { role: Role.Owner, label: "Owner", hint: "Everything, including managing owners." },
  { role: Role.Admin, label: "Admin", hint: "Everything but managing owners; limited by deny overrides." },
  { role: Role.Executor, label: "Executor", hint: "Only the bundles and pipelines you grant them." },
];

export const roleLabel = (role: string) => ROLES.find((r) => r.role === role)?.label ?? role;

/**
 * The roles this user may give (invite or change to), as the auth service decides: only an owner grants the owner
 * or admin role.
 */
export const grantableRoles = (myRole: string) =>
  ROLES.filter((r) => myRole === Role.Owner || r.role === Role.Executor);

/** Whether this user may change `target` at all: only owners manage owners (the server refuses the rest). */
export const mayManage = (me: { role: string }, target: Pick<User, "role">) =>
  target.role !== Role.Owner || me.role === Role.Owner;

/** Whether a user matches a filter: by email or role, case ignored. */
export function userMatches(u: { email: string; role: string }, filter: string): boolean {
  const q = filter.trim().toLowerCase();
  return !q || u.email.toLowerCase().includes(q) || roleLabel(u.role).toLowerCase().includes(q);
}
