import { ErrorCode } from "@latchflow/runtime";
import { TEST_DIALECTS } from "@latchflow/runtime/testing";
import { describe, expect, it } from "vitest";
import { withAuthService } from "./auth-harness.js";

const ctx = { requestId: "first-signin", tenant: "default", client: { ip: "127.0.0.1" } };

describe.each(TEST_DIALECTS)("first sign-in on an empty database (%s)", (dialect) => {
  it("makes the first admin who signs in the owner; later strangers get nothing", () =>
    withAuthService(dialect, "auth_first", async (auth, mail) => {
      expect((await auth.listUsers({}, ctx)).users).toHaveLength(0);
      await auth.startAdminSignIn({ email: "First@Example.com", linkBase: "http://x", next: "" }, ctx);
      const link = (await mail.waitFor("first@example.com")).text.match(/token=(\S+)/)?.[1];
      expect(link).toBeDefined();
      const grant = await auth.completeAdminSignIn({ token: decodeURIComponent(link!) }, ctx);
      expect(grant.identity).toMatchObject({ email: "first@example.com", role: "owner", kind: "user" });
      const who = await auth.authenticate({ token: grant.sessionToken, kind: "user_session" }, ctx);
      expect(who.role).toBe("owner");

      await auth.startAdminSignIn({ email: "second@example.com", linkBase: "http://x", next: "" }, ctx);
      await new Promise((r) => setTimeout(r, 300));
      expect(mail.to("second@example.com")).toHaveLength(0);
      await expect(auth.authenticate({ token: "nope", kind: "user_session" }, ctx)).rejects.toMatchObject({
        code: ErrorCode.Unauthenticated,
      });
    }));
});
