import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectRefusal } from "../client-helpers.js";
import { MODES, type Stack, startStack } from "../stack.js";

/**
 * Installing a plugin from the registry: the registry names the tarball URL, so that URL goes through the
 * same egress guard as plugin `fetch` (only the configured registry's own host may be private), and the
 * download is read with a byte limit (LATCHFLOW_PLUGIN_MAX_BYTES).
 */
const MAX_BYTES = 16_384;
const integrity = `sha512-${"A".repeat(86)}==`;

async function fakeRegistry() {
  let port = 0;
  const tarballHits: string[] = [];
  const big = randomBytes(4 * MAX_BYTES);
  const tarballs: Record<string, () => string> = {
    "lf-other-loopback": () => `http://127.0.0.2:${port}/t/other.tgz`,
    "lf-localhost": () => `http://localhost:${port}/t/localhost.tgz`,
    "lf-metadata": () => "http://169.254.169.254/latest/meta-data/x.tgz",
    "lf-private": () => "http://10.11.12.13/x.tgz",
    "lf-big-chunked": () => `http://127.0.0.1:${port}/t/big-chunked.tgz`,
    "lf-big-announced": () => `http://127.0.0.1:${port}/t/big-announced.tgz`,
  };
  const server: Server = createServer((req, res) => {
    const url = req.url ?? "";
    const name = url.slice(1);
    const tarball = tarballs[name];
    if (tarball) {
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          name,
          "dist-tags": { latest: "1.0.0" },
          versions: { "1.0.0": { dist: { tarball: tarball(), integrity } } },
        }),
      );
    } else if (url.startsWith("/t/")) {
      tarballHits.push(url);
      if (url === "/t/big-announced.tgz") res.setHeader("content-length", String(big.length));
      // chunked: no content-length, the limit must hold while streaming
      for (let i = 0; i < big.length; i += 4096) res.write(big.subarray(i, i + 4096));
      res.end();
    } else {
      res.statusCode = 404;
      res.end("{}");
    }
  });
  // on every loopback address, so 127.0.0.2 and localhost would answer if the guard let them through
  await new Promise<void>((r) => server.listen(0, "0.0.0.0", r));
  port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    tarballHits,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe.each(MODES)("registry installs on %s + %s", (dialect, bus) => {
  let s: Stack;
  let registry: Awaited<ReturnType<typeof fakeRegistry>>;

  beforeAll(async () => {
    registry = await fakeRegistry();
    s = await startStack(dialect, bus, "secreg", {
      LATCHFLOW_PLUGIN_REGISTRY: registry.base,
      LATCHFLOW_PLUGIN_MAX_BYTES: String(MAX_BYTES),
    });
  });
  afterAll(async () => {
    await s?.stop();
    await registry?.close();
  });

  const install = (pkg: string) =>
    s.client().raw.installPlugin({ body: JSON.stringify({ package: pkg }), contentType: "application/json" });

  it.each(["lf-other-loopback", "lf-localhost", "lf-metadata", "lf-private"])(
    "plugin install from a registry has an SSRF guard: a tarball URL on another private host is refused (%s)",
    async (pkg) => {
      expectRefusal(await install(pkg), 403, "permission_denied");
      expect(registry.tarballHits).toEqual([]);
    },
  );

  it.each(["lf-big-chunked", "lf-big-announced"])(
    "plugin install from a registry buffers no tarball without a limit: an oversized one is payload_too_large (%s)",
    async (pkg) => {
      expectRefusal(await install(pkg), 413, "payload_too_large");
      expect(JSON.stringify(await s.client().listPlugins())).not.toContain(pkg);
    },
  );

  it("an uploaded tarball over the same limit is payload_too_large", async () => {
    const res = await s.client().raw.installPlugin({
      body: randomBytes(2 * MAX_BYTES),
      contentType: "application/gzip",
    });
    expectRefusal(res, 413, "payload_too_large");
  });
});
