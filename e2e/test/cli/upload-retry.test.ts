// `latchflow files upload` when the way to the server breaks: a proxy in front of a real embedded server drops
// the connection midway, answers 503 with Retry-After, or loses the answer of an upload the server stored.
// The CLI tries the file again (after checking that it was not stored), never stores a file twice, and does
// not retry a refusal or a server error.
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OWNER_TOKEN, type Stack, startStack } from "../stack.js";
import { Operator } from "./helpers.js";

/** What the proxy does with the next POST /api/v1/files. */
type Fault = "break" | "busy" | "lose-answer" | "fail";

class FaultyProxy {
  readonly faults: Fault[] = [];
  uploads = 0;
  private server!: Server;
  constructor(private readonly target: URL) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const upload = req.method === "POST" && req.url?.startsWith("/api/v1/files");
    if (upload) this.uploads++;
    const fault = upload ? this.faults.shift() : undefined;
    if (fault === "break") {
      let seen = 0;
      req.on("data", (c: Buffer) => {
        seen += c.length;
        if (seen > 64 * 1024) req.socket.destroy(); // the connection drops with part of the body sent
      });
      return;
    }
    if (fault === "busy" || fault === "fail") {
      req.resume();
      req.once("end", () => {
        const status = fault === "busy" ? 503 : 500;
        res.writeHead(status, {
          "content-type": "application/json",
          ...(fault === "busy" ? { "retry-after": "1" } : {}),
        });
        const code = fault === "busy" ? "unavailable" : "internal";
        res.end(JSON.stringify({ error: { code, message: `proxy says ${status}`, requestId: "proxy" } }));
      });
      return;
    }
    const up = request(
      new URL(req.url ?? "/", this.target),
      { method: req.method, headers: req.headers },
      (answer) => {
        if (fault === "lose-answer") {
          answer.resume(); // the server stored the file; its answer never reaches the CLI
          answer.once("end", () => res.socket?.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    up.once("error", () => res.socket?.destroy());
    req.pipe(up);
  }
}

describe("files upload: tried again when the connection breaks", { timeout: 120_000 }, () => {
  let s: Stack;
  let proxy: FaultyProxy;
  let op: Operator;
  let env: Record<string, string>;

  beforeAll(async () => {
    s = await startStack("sqlite", "in-process", "cli-upload-retry");
    proxy = new FaultyProxy(new URL(s.base));
    env = { LATCHFLOW_SERVER: await proxy.start(), LATCHFLOW_TOKEN: OWNER_TOKEN };
    op = new Operator();
  });
  afterAll(async () => {
    await proxy?.stop();
    await s?.stop();
    op?.remove();
  });

  const file = (name: string, bytes: number) => {
    const data = randomBytes(bytes);
    const path = join(op.home, name);
    writeFileSync(path, data);
    return { path, sha256: createHash("sha256").update(data).digest("hex") };
  };
  const stored = async (folder: string) => {
    const res = await fetch(`${s.base}/api/v1/files?folder=${encodeURIComponent(folder)}`, {
      headers: { authorization: `Bearer ${OWNER_TOKEN}` },
    });
    return ((await res.json()) as { items: { name: string; sha256: string }[] }).items;
  };

  it("a dropped connection, then a 503 with Retry-After: the file is stored once, with the bytes read", async () => {
    const f = file("deed.bin", 3 * 1024 * 1024);
    proxy.faults.push("break", "busy");
    proxy.uploads = 0;
    const done = await op.cli(["files", "upload", f.path, "--folder", "/retry", "--json"], env);
    expect(done.code, done.stderr).toBe(0);
    expect(proxy.uploads).toBe(3);
    expect(done.stderr).toMatch(/deed\.bin: the connection broke.*; trying again in 1 s \(try 2 of 4\)/);
    expect(done.stderr).toMatch(/deed\.bin: the server answered 503; trying again in 1 s \(try 3 of 4\)/);
    const out = JSON.parse(done.stdout) as { uploaded: { sha256: string }[] };
    expect(out.uploaded.map((u) => u.sha256)).toEqual([f.sha256]);
    expect(await stored("/retry")).toEqual([expect.objectContaining({ name: "deed.bin", sha256: f.sha256 })]);
  });

  it("an answer lost after the server stored the file: found on the server, not stored again", async () => {
    const f = file("letter.bin", 256 * 1024);
    proxy.faults.push("lose-answer");
    proxy.uploads = 0;
    const done = await op.cli(["files", "upload", f.path, "--folder", "/lost", "--json"], env);
    expect(done.code, done.stderr).toBe(0);
    expect(proxy.uploads).toBe(1);
    expect(done.stderr).toMatch(/letter\.bin: the connection broke/);
    const out = JSON.parse(done.stdout) as { uploaded: { sha256: string }[] };
    expect(out.uploaded.map((u) => u.sha256)).toEqual([f.sha256]);
    expect(await stored("/lost")).toHaveLength(1);
  });

  it("a server error is not tried again: exit 1, the server's message, nothing stored", async () => {
    const f = file("photo.bin", 128 * 1024);
    proxy.faults.push("fail");
    proxy.uploads = 0;
    const done = await op.cli(["files", "upload", f.path, "--folder", "/failed"], env);
    expect(done.code).toBe(1);
    expect(proxy.uploads).toBe(1);
    expect(done.stderr).toContain("proxy says 500");
    expect(done.stderr).not.toContain("trying again");
    expect(await stored("/failed")).toEqual([]);
  });

  it("gives up after four tries, saying what happened", async () => {
    const f = file("will.bin", 128 * 1024);
    proxy.faults.push("busy", "busy", "busy", "busy");
    proxy.uploads = 0;
    const done = await op.cli(["files", "upload", f.path, "--folder", "/busy"], env);
    expect(done.code).toBe(1);
    expect(proxy.uploads).toBe(4);
    expect(done.stderr).toContain("try 4 of 4");
    expect(done.stderr).toContain("proxy says 503");
    expect(await stored("/busy")).toEqual([]);
  });
});
