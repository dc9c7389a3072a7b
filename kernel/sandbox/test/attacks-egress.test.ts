import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGuardedFetch, type EgressPolicy, SandboxErrorCode } from "../src/index.js";
import { DEADLINE, expectContained, loadAttacker } from "./helpers.js";

let server: http.Server;
let port = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === "/hang") return; // never answers
    if (req.url === "/redirect") {
      res.writeHead(302, { location: "http://10.0.0.1/latest/meta-data/" });
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": "text/plain", "x-test": "yes" });
    res.end(`hello ${req.method} ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const fetchOf = (policy: EgressPolicy) => ({ fetch: createGuardedFetch({ timeoutMs: 1_000, ...policy }) });
const FETCH = "async run(input, host) { return await host.fetch(input); }";

async function expectDenied(url: string, policy: EgressPolicy): Promise<void> {
  const p = await loadAttacker(FETCH);
  const err = await expectContained(p, SandboxErrorCode.CapabilityDenied, fetchOf(policy), url);
  expect(err.message).toMatch(/^egress: /);
}

describe("sandbox attacks: egress", () => {
  it("fetch to 127.0.0.1 (allowlisted host, loopback address) → capability_denied", async () => {
    await expectDenied(`http://127.0.0.1:${port}/`, { allowHosts: ["127.0.0.1"] });
  });

  it("fetch to 10.0.0.1 → capability_denied", async () => {
    await expectDenied("http://10.0.0.1/", { allowHosts: ["10.0.0.1"] });
  });

  it("fetch to 169.254.169.254 (metadata) → capability_denied", async () => {
    await expectDenied("http://169.254.169.254/latest/meta-data/", { allowHosts: ["169.254.169.254"] });
  });

  it("fetch to [::1] → capability_denied", async () => {
    await expectDenied(`http://[::1]:${port}/`, { allowHosts: ["::1"] });
  });

  it("fetch to a hostname resolving to loopback (localhost) → capability_denied", async () => {
    await expectDenied(`http://localhost:${port}/`, { allowHosts: ["localhost"] });
  });

  it("fetch to obfuscated loopback forms (0x7f.1, 2130706433, [::ffff:127.0.0.1]) → capability_denied", async () => {
    const policy = { allowHosts: ["127.0.0.1", "::ffff:7f00:1"] };
    await expectDenied(`http://0x7f.1:${port}/`, policy);
    await expectDenied(`http://2130706433:${port}/`, policy);
    await expectDenied(`http://[::ffff:127.0.0.1]:${port}/`, policy);
  });

  it("fetch to a host outside the allowlist → capability_denied", async () => {
    await expectDenied("https://evil.example.net/", { allowHosts: ["api.example.com", "*.example.org"] });
  });

  it("fetch to a name resolving to a public AND a private address (rebinding bait) → capability_denied", async () => {
    const resolve = async () => [
      { address: "93.184.216.34", family: 4 },
      { address: "127.0.0.1", family: 4 },
    ];
    await expectDenied("http://rebind.example.com/", { allowHosts: ["*.example.com"], resolve });
  });

  it("fetch to file:///etc/passwd → capability_denied", async () => {
    await expectDenied("file:///etc/passwd", { allowHosts: ["*"] });
  });

  it("redirect to a private address is not followed; following it by hand → capability_denied", async () => {
    const p = await loadAttacker(`async run(input, host) {
      const first = await host.fetch(input);
      if (first.status !== 302) return { unexpected: first.status };
      return await host.fetch(first.headers.location);
    }`);
    const policy = { allowHosts: ["127.0.0.1", "10.0.0.1"], allowAddressClasses: ["loopback" as const] };
    const err = await expectContained(
      p,
      SandboxErrorCode.CapabilityDenied,
      fetchOf(policy),
      `http://127.0.0.1:${port}/redirect`,
    );
    expect(err.message).toBe("egress: 10.0.0.1 resolves to a private address");
  });

  it("allowlisted loopback server with the test option → 200 with copied response", async () => {
    const p = await loadAttacker(FETCH);
    const policy = { allowHosts: ["127.0.0.1"], allowAddressClasses: ["loopback" as const] };
    const res = (await p.invoke(
      "attack@1",
      `http://127.0.0.1:${port}/ok?x=1`,
      fetchOf(policy),
      DEADLINE,
    )) as {
      status: number;
      headers: Record<string, string>;
      body: string;
    };
    expect(res.status).toBe(200);
    expect(res.headers["x-test"]).toBe("yes");
    expect(res.body).toBe("hello GET /ok?x=1");
  });

  it("response over the size cap → plugin_error with hostCode payload_too_large", async () => {
    const p = await loadAttacker(FETCH);
    const policy = {
      allowHosts: ["127.0.0.1"],
      allowAddressClasses: ["loopback" as const],
      maxResponseBytes: 5,
    };
    const err = await expectContained(
      p,
      SandboxErrorCode.PluginError,
      fetchOf(policy),
      `http://127.0.0.1:${port}/big`,
    );
    expect(err.details).toEqual({ hostCode: "payload_too_large" });
  });

  it("a plugin's shorter timeoutMs gives up first; the host's own timeout stays the upper bound", async () => {
    const policy = {
      allowHosts: ["127.0.0.1"],
      allowAddressClasses: ["loopback" as const],
      timeoutMs: 5_000,
    };
    const guarded = createGuardedFetch(policy);
    const started = Date.now();
    await expect(guarded(`http://127.0.0.1:${port}/hang`, { timeoutMs: 150 })).rejects.toMatchObject({
      code: "deadline_exceeded",
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    const capped = createGuardedFetch({ ...policy, timeoutMs: 150 });
    const t = Date.now();
    await expect(capped(`http://127.0.0.1:${port}/hang`, { timeoutMs: 60_000 })).rejects.toMatchObject({
      code: "deadline_exceeded",
    });
    expect(Date.now() - t).toBeLessThan(2_000);
  });
});
