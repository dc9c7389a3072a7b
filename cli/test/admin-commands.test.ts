import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packPlugin } from "@latchflow/plugin-sdk/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import * as audit from "../src/commands/audit.js";
import * as plugins from "../src/commands/plugins.js";
import * as tokens from "../src/commands/tokens.js";
import * as users from "../src/commands/users.js";
import { run } from "./cli-process.js";
import { cli, fails, ok, okJson, type Server, startServer } from "./operator.js";

const PLUGIN_DIR = fileURLToPath(new URL("./fixtures/echo-plugin", import.meta.url));
const PLUGIN = "latchflow-plugin-cli-echo";
const shape = (c: { output?: { schema: z.ZodType } }) => c.output!.schema;

describe("latchflow plugins, tokens, users and audit", { timeout: 180_000 }, () => {
  let s: Server;
  beforeAll(async () => {
    s = await startServer("cli-admin");
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("plugins: install from a tarball, enable/disable capabilities, approve hosts", async () => {
    const packed = await packPlugin({ dir: PLUGIN_DIR, outFile: join(s.work, "echo.tgz") });
    const installed = await okJson(s, ["plugins", "install", packed.file], shape(plugins.install));
    expect(installed).toMatchObject({
      name: PLUGIN,
      version: "1.0.0",
      source: "tarball",
      integrity: packed.integrity,
    });
    expect(
      (installed as { capabilities: { enabled: boolean }[] }).capabilities.every((c) => !c.enabled),
    ).toBe(true);

    const enabled = await okJson(s, ["plugins", "enable", PLUGIN], shape(plugins.enable));
    expect((enabled as { capabilities: { enabled: boolean }[] }).capabilities.map((c) => c.enabled)).toEqual([
      true,
    ]);
    const disabled = await okJson(s, ["plugins", "disable", PLUGIN], shape(plugins.disable));
    expect((disabled as { capabilities: { enabled: boolean }[] }).capabilities.map((c) => c.enabled)).toEqual(
      [false],
    );
    const listed = await okJson(s, ["plugins", "list"], shape(plugins.list));
    expect(listed.items.map((p: { name: string }) => p.name)).toContain(PLUGIN);
    expect(await ok(s, ["plugins", "list"])).toMatch(new RegExp(`${PLUGIN}\\s+1\\.0\\.0\\s+tarball`));

    const approved = await okJson(
      s,
      ["plugins", "approve-hosts", "latchflow-http", "api.example.com", "hooks.example.com"],
      shape(plugins.approveHosts),
    );
    expect(approved).toMatchObject({ approvedHosts: ["api.example.com", "hooks.example.com"] });
    const replaced = await okJson(
      s,
      ["plugins", "approve-hosts", "latchflow-http", "--replace"],
      shape(plugins.approveHosts),
    );
    expect(replaced).toMatchObject({ approvedHosts: [] });

    await fails(s, ["plugins", "install", "./no-such.tgz"], 2, "usage");
    await fails(s, ["plugins", "enable", "latchflow-plugin-nope"], 4, "not_found");
    await fails(s, ["plugins", "uninstall", "latchflow-plugin-nope", "--yes"], 4, "not_found");
  });

  it("plugins secrets: the value from stdin (never echoed, never in argv), --value warns, rm", async () => {
    const set = await okJson(s, ["plugins", "secrets", "set", PLUGIN, "apiKey"], shape(plugins.secretsSet), {
      input: "s3cret-from-stdin\n",
    });
    expect(set).toMatchObject({ plugin: PLUGIN, name: "apiKey" });
    expect(JSON.stringify(set)).not.toContain("s3cret");
    const piped = await cli(s, ["plugins", "secrets", "set", PLUGIN, "other"], { input: "v" });
    expect(piped.code).toBe(0);
    expect(piped.stderr).not.toContain("warning");
    const flagged = await cli(s, ["plugins", "secrets", "set", PLUGIN, "third", "--value", "visible"]);
    expect(flagged.code).toBe(0);
    expect(flagged.stderr).toContain("warning: a value given with --value is visible");

    const names = await okJson(s, ["plugins", "secrets", "list", PLUGIN], shape(plugins.secretsList));
    expect(names.items.map((x: { name: string }) => x.name).sort()).toEqual(["apiKey", "other", "third"]);
    await fails(s, ["plugins", "secrets", "set", PLUGIN, "empty"], 2, "usage", { input: "" });

    await okJson(s, ["plugins", "secrets", "rm", PLUGIN, "third"], shape(plugins.secretsRm));
    await fails(s, ["plugins", "secrets", "rm", PLUGIN, "third"], 4, "not_found");

    const refused = await cli(s, ["plugins", "uninstall", PLUGIN]);
    expect(refused.code).toBe(2);
    await okJson(s, ["plugins", "uninstall", PLUGIN, "--yes"], shape(plugins.uninstall));
    // its secrets went with it
    expect(await okJson(s, ["plugins", "secrets", "list", PLUGIN], shape(plugins.secretsList))).toEqual({
      items: [],
    });
  });

  it("tokens: the secret printed once on stdout with a warning on stderr; rotate; revoke stops it (exit 3)", async () => {
    const created = await cli(s, [
      "tokens",
      "create",
      "ci",
      "--scope",
      "audit:read",
      "--scope",
      "tokens:read",
    ]);
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^lf_[0-9a-z]{26}_\S+$/);
    expect(created.stderr).toContain("This is the only time its secret is shown");
    expect(created.stderr).not.toContain(secret);

    const mine = await okJson(s, ["tokens", "list"], shape(tokens.list), { token: secret });
    const info = (mine.items as { id: string; name: string; scopes: string[] }[]).find(
      (t) => t.name === "ci",
    )!;
    expect(info.scopes).toEqual(["audit:read", "tokens:read"]);
    // narrower than tokens:write: rotating or creating is forbidden
    await fails(s, ["tokens", "create", "more"], 3, "permission_denied", { token: secret });
    await fails(s, ["tokens", "create", "x", "--scope", "nope:read"], 2, "usage");

    const rotated = await okJson(s, ["tokens", "rotate", info.id], shape(tokens.rotate));
    await fails(s, ["audit", "tail", "-n", "1"], 3, "unauthenticated", { token: secret });
    const next = (rotated as { token: string }).token;
    await ok(s, ["audit", "tail", "-n", "1"], { token: next });

    const revoked = await okJson(s, ["tokens", "revoke", info.id], shape(tokens.revoke));
    expect((revoked as { revokedAt: string | null }).revokedAt).not.toBeNull();
    await fails(s, ["audit", "tail", "-n", "1"], 3, "unauthenticated", { token: next });
    await fails(s, ["tokens", "revoke", "01ARZ3NDEKTSV4RRFFQ69G5FAV"], 4, "not_found");
  });

  it("users: list, invite (a taken email is a conflict, exit 5), role by email", async () => {
    const invited = await okJson(s, ["users", "invite", "alice@example.com"], shape(users.invite));
    expect(invited).toMatchObject({ email: "alice@example.com", role: "executor" });
    await fails(s, ["users", "invite", "alice@example.com"], 5, "conflict");
    await fails(s, ["users", "invite", "bob@example.com", "--role", "boss"], 2, "usage");
    const changed = await okJson(s, ["users", "role", "alice@example.com", "admin"], shape(users.setRole));
    expect(changed).toMatchObject({ email: "alice@example.com", role: "admin" });
    const listed = await okJson(s, ["users", "list"], shape(users.list));
    expect(listed.items.map((u: { email: string }) => u.email).sort()).toEqual([
      "alice@example.com",
      "owner@localhost",
    ]);
    await fails(s, ["users", "role", "nobody@example.com", "admin"], 4, "not_found");
  });

  it("audit over REST: tail, query, export and verify --remote; the launcher's verify --file still checks the export offline", async () => {
    await ok(s, ["users", "invite", "carol@example.com"]);
    await ok(s, ["users", "role", "carol@example.com", "admin"]);
    const tail = await ok(s, ["audit", "tail", "-n", "3"]);
    const lines = tail.trim().split("\n");
    expect(lines).toHaveLength(3);
    const seqs = lines.map((l) => Number(/^#(\d+) /.exec(l)?.[1]));
    expect(seqs).toEqual([seqs[0], seqs[0]! + 1, seqs[0]! + 2]);
    const ndjson = (await ok(s, ["audit", "tail", "-n", "2", "--type", "auth.user.", "--json"]))
      .trim()
      .split("\n");
    expect(ndjson.map((l) => shape(audit.tail).parse(JSON.parse(l)).type)).toEqual([
      "auth.user.invited",
      "auth.user.role-changed",
    ]);
    const queried = await okJson(
      s,
      ["audit", "query", "--type", "auth.", "--limit", "2"],
      shape(audit.query),
    );
    expect(queried.items).toHaveLength(2);
    expect(queried.nextCursor).not.toBeNull();
    await fails(s, ["audit", "query", "--from", "yesterday"], 2, "validation_failed");

    const verified = await okJson(s, ["audit", "verify", "--remote"], shape(audit.verify));
    expect(verified).toMatchObject({ ok: true, checkpoints: { anchoredSeq: 0 } });
    expect(verified).not.toHaveProperty("firstBroken");

    // the launcher's commands, where the server runs: checkpoint and public key from the data dir
    const launcher = (args: string[]) => {
      const r = run(args, s.serverEnv);
      return r.exit.then((code) => ({ code, stdout: r.stdout(), stderr: r.stderr() }));
    };
    expect((await launcher(["audit", "checkpoint"])).code).toBe(0);
    const key = await launcher(["audit", "public-key"]);
    expect(key.code).toBe(0);
    writeFileSync(join(s.work, "key.pem"), key.stdout);

    const file = join(s.work, "audit.ndjson");
    const written = await okJson(s, ["audit", "export", "-o", file], shape(audit.exportRecords));
    expect(written).toMatchObject({ file, format: "ndjson" });
    expect((written as { bytes: number }).bytes).toBe(readFileSync(file).length);
    const offline = await launcher([
      "audit",
      "verify",
      "--file",
      file,
      "--public-key",
      join(s.work, "key.pem"),
    ]);
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout).toContain(": OK,");
    const csv = (await ok(s, ["audit", "export", "--format", "csv", "--type", "auth.user."]))
      .trim()
      .split("\n");
    expect(csv[0]).toMatch(/^seq,/);
    expect(csv.at(-1)).toContain("auth.user.role-changed");

    // a token without audit:read
    const narrow = (await cli(s, ["tokens", "create", "narrow", "--scope", "bundles:read"])).stdout.trim();
    await fails(s, ["audit", "verify", "--remote"], 3, "permission_denied", { token: narrow });
    await fails(s, ["audit", "export", "-o", join(s.work, "no.ndjson")], 3, "permission_denied", {
      token: narrow,
    });
  });
});
