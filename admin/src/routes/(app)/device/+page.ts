import { ApiError } from "@latchflow/api/client";
import { api } from "#lib/api.js";
import { genericMessage } from "#lib/errors.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

/** The CLI's device sign-in (`latchflow login`): the code from the address, and what it asks for. */
export const load: PageLoad = async ({ url }) => {
  const userCode = url.searchParams.get("user_code")?.trim().toUpperCase() ?? "";
  if (!userCode) return { userCode, request: undefined, problem: undefined };
  try {
    const request = await requireSession(url, () => api.getDeviceAuthorization({ params: { userCode } }));
    return { userCode, request, problem: undefined };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 422)) {
      return {
        userCode,
        request: undefined,
        problem: "This code is unknown or has expired. Check it, or start the sign-in on the device again.",
      };
    }
    if (err instanceof ApiError && err.status === 403) {
      return { userCode, request: undefined, problem: genericMessage(err) };
    }
    throw err;
  }
};
