import { createInProcessBus, type EventBus } from "@latchflow/bus";
import { authV1 } from "@latchflow/proto";
import {
  createClient,
  createGrpcServer,
  createLogger,
  ErrorCode,
  type GrpcServer,
  type LatchflowService,
} from "@latchflow/runtime";
import { createTestConfig, TEST_DIALECTS, type TestConfig } from "@latchflow/runtime/testing";
import { dropSchemas, uniqueName } from "@latchflow/testing";
import { afterAll, describe, expect, inject, it } from "vitest";
import { type BootstrapResult, createAuthService } from "../src/index.js";

const logger = createLogger({ level: "silent" });
const ctx = { requestId: "test", tenant: "default" };

interface Running {
  authenticate: (token: string) => Promise<authV1.Identity>;
  bootstrap: BootstrapResult | undefined;
  stop(): Promise<void>;
}

async function startAuth(tc: TestConfig, bus: EventBus): Promise<Running> {
  let bootstrap: BootstrapResult | undefined;
  const service: LatchflowService = createAuthService({
    config: tc.config,
    bus,
    logger,
    onBootstrap: (r) => {
      bootstrap = r;
    },
  });
  const server: GrpcServer = createGrpcServer({ logger });
  await service.start(server);
  const port = await server.listen("127.0.0.1", 0);
  const client = createClient(authV1.AuthServiceClient, `127.0.0.1:${port}`, { deadlineMs: 5000, logger });
  return {
    authenticate: (token) => client.authenticate({ token, kind: "bearer" }, ctx),
    bootstrap,
    stop: async () => {
      client.$close();
      await server.shutdown(1000);
      await service.stop();
    },
  };
}

describe.each(TEST_DIALECTS)("auth bootstrap on %s", (dialect) => {
  const name = uniqueName("auth_boot");
  const bus = createInProcessBus({});
  const configs: TestConfig[] = [];
  const config = (env: Record<string, string> = {}) => {
    const tc = createTestConfig({ dialect, name, pgUrl: inject("pgUrl"), env });
    configs.push(tc);
    return tc;
  };

  afterAll(async () => {
    await bus.close();
    if (dialect === "postgres") await dropSchemas(inject("pgUrl"), `${name}_`);
    for (const tc of configs) tc.cleanup();
  });

  it("mints and reports a one-time owner token on the first start; a restart with LATCHFLOW_BOOTSTRAP_TOKEN changes nothing", async () => {
    const first = config();
    const auth = await startAuth(first, bus);
    let minted: string;
    try {
      expect(auth.bootstrap).toMatchObject({ created: true, email: "owner@localhost" });
      minted = (auth.bootstrap as { mintedToken: string }).mintedToken;
      expect(minted).toMatch(/^lf_[0-9a-z]{26}_[A-Za-z0-9_-]{43}$/);
      const identity = await auth.authenticate(minted);
      expect(identity).toMatchObject({
        email: "owner@localhost",
        role: "owner",
        tenant: "default",
        kind: "user",
      });
      expect(identity.scopes).toContain("bundles:write");
    } finally {
      await auth.stop();
    }
    // same database (same data dir / schema prefix), now with a bootstrap token: users exist, so it is ignored
    const again = await startAuth(
      {
        ...first,
        config: { ...first.config, bootstrap: { token: "late-bootstrap-token-0123456789", email: "x@y.z" } },
      },
      bus,
    );
    try {
      expect(again.bootstrap).toBeUndefined();
      await expect(again.authenticate("late-bootstrap-token-0123456789")).rejects.toMatchObject({
        code: ErrorCode.Unauthenticated,
      });
      expect((await again.authenticate(minted)).email).toBe("owner@localhost");
    } finally {
      await again.stop();
    }
  });

  it("uses LATCHFLOW_BOOTSTRAP_TOKEN as the owner's token secret on an empty database", async () => {
    const name2 = uniqueName("auth_boot2");
    const tc = createTestConfig({
      dialect,
      name: name2,
      pgUrl: inject("pgUrl"),
      env: {
        LATCHFLOW_BOOTSTRAP_TOKEN: "exact-bootstrap-secret-0123456789",
        LATCHFLOW_BOOTSTRAP_EMAIL: "Me@Example.com",
      },
    });
    configs.push(tc);
    const auth = await startAuth(tc, bus);
    try {
      expect(auth.bootstrap).toEqual({ created: true, email: "Me@Example.com" });
      expect((await auth.authenticate("exact-bootstrap-secret-0123456789")).email).toBe("me@example.com");
      for (const bad of ["", "exact-bootstrap-secret-012345678", "x".repeat(600), "lf_0_0"]) {
        await expect(auth.authenticate(bad)).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
      }
    } finally {
      await auth.stop();
      if (dialect === "postgres") await dropSchemas(inject("pgUrl"), `${name2}_`);
    }
  });
});
