import { Scope } from "@latchflow/api/scopes";
import { redirect } from "@sveltejs/kit";
import { can } from "#lib/access.js";
import { resolve } from "$app/paths";
import type { PageLoad } from "./$types";

/** The start page: the first page this user may use. */
export const load: PageLoad = async ({ parent }) => {
  const { me } = await parent();
  redirect(307, resolve(can(me, Scope.BundlesRead) ? "/(app)/bundles" : "/(app)/sessions"));
};
