import { createInProcessBus } from "@latchflow/bus";
import { authV1 } from "@latchflow/proto";
import { createClient, createGrpcServer, createLogger, ErrorCode } from "@latchflow/runtime";
import { createTestConfig, TEST_DIALECTS } from "@latchflow/runtime/testing";
import { dropSchemas, startSmtpCapture, uniqueName } from "@latchflow/testing";
import { describe, expect, inject, it } from "vitest";
import { createAuthService } from "../src/index.js";

const logger = createLogger({ level: "silent" });
const ctx = { requestId: "first-signin", tenant: "default", client: { ip: "127.0.0.1" } };

describe.each(TEST_DIALECTS)("first sign-in on an empty database (%s)", (dialect) => {
  it("makes the first admin who signs in the owner; later strangers get nothing", async () => {
    const name = uniqueName("auth_first");
    const mail = await startSmtpCapture();
    const tc = createTestConfig({
      dialect,
      name,
      pgUrl: inject("pgUrl"),
      env: { LATCHFLOW_SMTP_URL: mail.url },
    });
    const bus = createInProcessBus({});
    const service = createAuthService({ config: tc.config, bus, logger, bootstrap: false });
    const server = createGrpcServer({ logger });
    await service.start(server);
    const port = await server.listen("127.0.0.1", 0);
    const auth = createClient(authV1.AuthServiceClient, `127.0.0.1:${port}`, { deadlineMs: 5000, logger });
    try {
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
    } finally {
      auth.$close();
      await server.shutdown(1000);
      await service.stop();
      await bus.close();
      await mail.stop();
      if (dialect === "postgres") await dropSchemas(inject("pgUrl"), `${name}_`);
      tc.cleanup();
    }
  });
});
