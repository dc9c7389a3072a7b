import type { schemas } from "@latchflow/api";
import { goto, invalidateAll } from "$app/navigation";
import { resolve } from "$app/paths";
import { toast } from "./toasts.svelte.js";
import { roleLabel } from "./users.js";

/**
 * After a user's role or status changed: says so, and reads the page again (`reload`), or everything when it was the
 * signed-in user (what this session may do changed); a user who disabled themselves is signed out.
 */
export async function afterUserChange(
  u: schemas.User,
  me: schemas.Me,
  reload: () => Promise<void>,
): Promise<void> {
  if (u.id === me.id && !u.active) {
    await goto(resolve("/sign-in"));
    return;
  }
  toast(`${u.email} is ${u.active ? roleLabel(u.role).toLowerCase() : "disabled"}.`);
  await (u.id === me.id ? invalidateAll() : reload());
}
