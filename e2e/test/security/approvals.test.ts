import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recorded } from "../audit/helpers.js";
import { expectError, http } from "../http.js";
import { finished, putPipeline, type RunView, selfSignedCert } from "../pipelines/helpers.js";
import { MODES, type Stack, startStack } from "../stack.js";

/**
 * Egress approvals are per plugin, visible, audited and enforced for built-ins and third-party plugins alike:
 * http@1 (built-in `latchflow-http`, whose manifest asks for any host with `requiresApproval`) reaches a host
 * only once an admin with plugins:admin approved it through PATCH /api/v1/plugins/{name}.
 */

/** A self-signed certificate for 127.0.0.1, trusted by this test process only (where the kernel's egress runs). */
function trustedReceiverCert() {
  const dir = mkdtempSync(join(tmpdir(), "lf-approvals-"));
  const pair = selfSignedCert(dir);
  rmSync(dir, { recursive: true, force: true });
  const original = tls.createSecureContext;
  // the egress guard's https client builds its context through tls.createSecureContext: add our CA there
  (tls as { createSecureContext: typeof tls.createSecureContext }).createSecureContext = (options) =>
    original(options?.ca ? options : { ...options, ca: [...tls.rootCertificates, pair.cert.toString()] });
  return { ...pair, restore: () => Object.assign(tls, { createSecureContext: original }) };
}

const callOut = (port: number) => `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: call-out }
spec:
  triggers:
    - { id: go, uses: manual@1 }
  steps:
    - id: notify
      uses: http@1
      with: { url: "https://127.0.0.1:${port}/in", body: { pipeline: "{{ pipeline.name }}" } }
`;

describe.each(MODES)("egress approvals on %s + %s", (dialect, bus) => {
  let s: Stack;
  let receiver: Server;
  let port = 0;
  let connections = 0;
  const received: string[] = [];
  let cert: ReturnType<typeof trustedReceiverCert>;

  beforeAll(async () => {
    cert = trustedReceiverCert();
    receiver = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
      req.resume();
      req.on("end", () => {
        received.push(req.url ?? "");
        res.setHeader("content-type", "application/json");
        res.end('{"ok":true}');
      });
    });
    receiver.on("connection", () => {
      connections += 1;
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    port = (receiver.address() as AddressInfo).port;
    // the receiver is on loopback: let egress reach private addresses, so only the approval stands in the way
    s = await startStack(dialect, bus, "secappr", {
      LATCHFLOW_EGRESS_ALLOW_PRIVATE: "true",
      LATCHFLOW_KERNEL_POLL_MS: "50",
    });
    await putPipeline(s, "call-out", callOut(port));
  });
  afterAll(async () => {
    await s?.stop();
    await new Promise<void>((r) => receiver?.close(() => r()));
    cert?.restore();
  });

  /** A user of `role` with one permission override, signed in. */
  const userWith = async (email: string, role: string, permission: Record<string, string>) => {
    const user = await s.api("POST", "/api/v1/users", { json: { email, role } });
    expect(user.status, user.text).toBe(201);
    const override = await s.api("POST", `/api/v1/users/${(user.body as { id: string }).id}/permissions`, {
      json: permission,
    });
    expect(override.status, override.text).toBe(201);
    return s.signIn(email);
  };

  const runCallOut = async () => {
    const started = await s.api("POST", "/api/v1/pipelines/call-out/runs", { json: {} });
    expect(started.status, started.text).toBe(202);
    return finished(s, "call-out", (started.body as RunView).id);
  };

  it("http@1's requiresApproval is enforced: with no approved host the step fails and no request reaches the receiver", async () => {
    const r = await runCallOut();
    expect(r.status).toBe("failed");
    expect(r.steps?.[0]?.errorCode).toBe("capability_denied");
    expect(JSON.stringify(r)).toContain("no host is approved for plugin latchflow-http");
    expect(connections).toBe(0);
    expect(received).toEqual([]);
  });

  it("built-in http is visible in GET /api/v1/plugins/http (and by name) with its capabilities and approvals", async () => {
    for (const name of ["http", "latchflow-http"]) {
      const res = await s.api("GET", `/api/v1/plugins/${name}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({
        name: "latchflow-http",
        source: "builtin",
        capabilities: [{ uses: "http@1", kind: "action", enabled: true }],
        requestedHosts: ["*"],
        approvedHosts: [],
      });
    }
    const list = await s.api("GET", "/api/v1/plugins");
    const items = (list.body as { items: { name: string; approvedHosts: string[] }[] }).items;
    expect(items.find((p) => p.name === "latchflow-http")).toMatchObject({ approvedHosts: [] });
    expectError(await s.api("GET", "/api/v1/plugins/no-such-plugin"), 404, "not_found");
  });

  it("approvals are PATCHable only with plugins:admin: an admin without it, an executor and a narrower token get 403", async () => {
    const approve = { approvedHosts: ["127.0.0.1"] };
    // a token of the owner, narrowed to pipelines:write
    const narrow = await s.api("POST", "/api/v1/tokens", {
      json: { name: "narrow", scopes: ["pipelines:write"] },
    });
    expect(narrow.status, narrow.text).toBe(201);
    const narrowToken = (narrow.body as { token: string }).token;
    expectError(
      await http(s.base, "PATCH", "/api/v1/plugins/http", { token: narrowToken, json: approve }),
      403,
      "permission_denied",
    );
    // an executor with a grant on pipelines (pipelines:write is enough to run http@1 steps)
    const executor = await userWith("exec@example.com", "executor", {
      action: "pipelines:write",
      resourceType: "pipeline",
      resourceId: "*",
    });
    // an admin whose plugins:admin is denied by an override
    const admin = await userWith("adm@example.com", "admin", {
      action: "plugins:admin",
      resourceType: "*",
      effect: "deny",
    });
    for (const browser of [executor, admin]) {
      expectError(
        await browser.request("PATCH", "/api/v1/plugins/http", { json: approve, csrf: "user" }),
        403,
        "permission_denied",
      );
    }
    const still = await s.api("GET", "/api/v1/plugins/http");
    expect(still.body).toMatchObject({ approvedHosts: [] });
    // and built-in capabilities cannot be switched off, nor a URL approved as a host
    expectError(
      await s.api("PATCH", "/api/v1/plugins/http", { json: { capabilities: { "http@1": false } } }),
      422,
      "validation_failed",
    );
    expectError(
      await s.api("PATCH", "/api/v1/plugins/http", { json: { approvedHosts: ["https://x.example/"] } }),
      422,
      "validation_failed",
    );
  });

  it("after PATCH approval of that host the http@1 step succeeds, and the approval change is audited", async () => {
    const res = await s.api("PATCH", "/api/v1/plugins/http", { json: { approvedHosts: ["127.0.0.1"] } });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ name: "latchflow-http", approvedHosts: ["127.0.0.1"] });
    expect((await s.api("GET", "/api/v1/plugins/latchflow-http")).body).toMatchObject({
      approvedHosts: ["127.0.0.1"],
    });
    const r = await runCallOut();
    expect(r.status, JSON.stringify(r)).toBe("succeeded");
    expect(r.steps?.[0]?.outputs).toMatchObject({ status: 200, body: { ok: true } });
    expect(received).toEqual(["/in"]);
    const audit = await recorded(s, "plugins.plugin.updated", (a) => a.data.name === "latchflow-http");
    expect(audit.data).toMatchObject({ changes: ["approved hosts"], approvedHosts: ["127.0.0.1"] });
    expect(audit.actor.kind).toBe("user");

    // withdrawing the approval closes the door again
    const withdraw = await s.api("PATCH", "/api/v1/plugins/http", { json: { approvedHosts: [] } });
    expect(withdraw.status, withdraw.text).toBe(200);
    const again = await runCallOut();
    expect(again.steps?.[0]?.errorCode).toBe("capability_denied");
    expect(received).toEqual(["/in"]);
  });
});
