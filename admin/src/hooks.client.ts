import type { HandleClientError } from "@sveltejs/kit/hooks";
import { genericMessage } from "#lib/errors.js";

/** Errors no page handled become one sentence the reader can act on (with the request id to quote). */
export const handleError: HandleClientError = ({ error }) => ({ message: genericMessage(error) });
