import type { HandleClientError } from "@sveltejs/kit/hooks";
import { genericMessage } from "#lib/errors.js";

/**
 * Errors no page handled become one sentence the reader can act on (with the request id to quote). An error a load
 * raised on purpose (`error(404, "…")`, kind "app") keeps its own words: Kit 3 passes those here too.
 */
export const handleError: HandleClientError = (caught) =>
  caught.kind === "app" ? undefined : { message: genericMessage(caught.error) };
