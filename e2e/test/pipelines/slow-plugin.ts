import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packPlugin } from "@latchflow/plugin-sdk/node";
import { expect } from "vitest";
import { http } from "../http.js";
import { OWNER_TOKEN } from "../stack.js";

/** An HTTP server whose answers the test holds back until it lets go. */
export async function gate() {
  let open = false;
  let hits = 0;
  const waiting: (() => void)[] = [];
  const server: Server = createServer((_req, res) => {
    hits++;
    const answer = () => res.end("released");
    if (open) answer();
    else waiting.push(answer);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/wait`,
    hits: () => hits,
    release() {
      open = true;
      for (const w of waiting.splice(0)) w();
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const packed = (async () => {
  const dir = mkdtempSync(join(tmpdir(), "lf-slow-plugin-"));
  const out = await packPlugin({
    dir: fileURLToPath(new URL("./fixtures/slow", import.meta.url)),
    outFile: join(dir, "slow.tgz"),
  });
  return readFileSync(out.file);
})();

/** Installs the `slow` test plugin (waits on a gate, optionally mails first) and enables `wait@1`. */
export async function installSlow(base: string) {
  const res = await http(base, "POST", "/api/v1/plugins", {
    token: OWNER_TOKEN,
    body: await packed,
    headers: { "content-type": "application/gzip" },
  });
  expect(res.status, res.text).toBe(201);
  const on = await http(base, "PATCH", "/api/v1/plugins/latchflow-plugin-slow", {
    token: OWNER_TOKEN,
    json: { capabilities: { "latchflow-plugin-slow/wait@1": true }, approvedHosts: ["127.0.0.1"] },
  });
  expect(on.status, on.text).toBe(200);
}
