import type { GrantRequest, PublishRequest } from "@latchflow/plugin-sdk";
import type { RequestContext } from "@latchflow/runtime";
import type { Database } from "@latchflow/runtime/db";
import { describe, expect, it } from "vitest";
import type { AuthClient, BundlesClient } from "../pipelines/validation.js";
import { createServiceActions } from "./service-actions.js";

/** No service is reached: every request below is refused before any call. */
const actions = createServiceActions({
  db: {} as Database,
  clients: { bundles: {} as BundlesClient, auth: {} as AuthClient },
  publicUrl: () => "http://localhost",
  now: () => new Date(),
});
const ctx: RequestContext = { requestId: "r", tenant: "default" };
const grant: GrantRequest = {
  bundle: "archive",
  recipients: ["a@example.com"],
  maxDownloads: 0,
  cooldownSeconds: 0,
  notBefore: null,
  notAfter: null,
  passphrase: null,
  idempotencyKey: "run-1:step-1",
  message: "",
  acknowledgementRequired: false,
};

describe("host calls check what plugin code sends", () => {
  it.each([
    ["no recipients", { recipients: [] }],
    ["a recipient that is not text", { recipients: [42] }],
    ["a bundle that is not a name", { bundle: { id: "x" } }],
    ["a passphrase that is not text", { passphrase: ["x"] }],
    ["a passphrase shorter than the one rule (4 characters)", { passphrase: "abcd" }],
    ["a short idempotency key", { idempotencyKey: "k" }],
    ["a message that is not text", { message: 42 }],
    ["a message over MESSAGE_RULE (4000 characters)", { message: "x".repeat(4001) }],
    ["a message with a control character", { message: "ring \u0007" }],
    ["an acknowledgement without a message", { acknowledgementRequired: true }],
  ])("grant refuses %s with validation_failed", async (_what, change) => {
    const req = { ...grant, ...change } as unknown as GrantRequest;
    await expect(actions.grant(ctx, req, "p")).rejects.toMatchObject({ code: "validation_failed" });
  });

  it("publish refuses a bundle that is not a name", async () => {
    const req = { bundle: 7, expiresAt: "2030-01-01T00:00:00Z", maxUses: 0, idempotencyKey: "run-1:step-1" };
    await expect(actions.publish(ctx, req as unknown as PublishRequest, "p")).rejects.toMatchObject({
      code: "validation_failed",
    });
  });
});
