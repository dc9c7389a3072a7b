import { createInProcessBus } from "@latchflow/bus";
import { authV1 } from "@latchflow/proto";
import { createClient, createGrpcServer, createLogger } from "@latchflow/runtime";
import { createTestConfig, type TestDialect } from "@latchflow/runtime/testing";
import { dropSchemas, type SmtpCapture, startSmtpCapture, uniqueName } from "@latchflow/testing";
import { inject } from "vitest";
import { createAuthService } from "../src/index.js";

const logger = createLogger({ level: "silent" });
const connect = (port: number) =>
  createClient(authV1.AuthServiceClient, `127.0.0.1:${port}`, { deadlineMs: 5000, logger });
export type AuthClient = ReturnType<typeof connect>;

/** Runs `fn` against a fresh auth service (empty database, no bootstrap owner) over gRPC, with a mail capture. */
export async function withAuthService(
  dialect: TestDialect,
  prefix: string,
  fn: (auth: AuthClient, mail: SmtpCapture) => Promise<void>,
): Promise<void> {
  const name = uniqueName(prefix);
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
  const auth = connect(port);
  try {
    await fn(auth, mail);
  } finally {
    auth.$close();
    await server.shutdown(1000);
    await service.stop();
    await bus.close();
    await mail.stop();
    if (dialect === "postgres") await dropSchemas(inject("pgUrl"), `${name}_`);
    tc.cleanup();
  }
}
