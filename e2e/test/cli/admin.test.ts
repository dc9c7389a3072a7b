import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packPlugin, readSigningKey, writeNewSigningKey } from "@latchflow/plugin-sdk/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { latchflow } from "../audit/helpers.js";
import { OWNER_EMAIL, type Stack, startStack } from "../stack.js";
import { Session } from "./session.js";

const PLUGIN_DIR = fileURLToPath(new URL("../pipelines/fixtures/echo-v1", import.meta.url));
const PLUGIN = "latchflow-plugin-echo";

describe("latchflow plugins, tokens, users and audit", { timeout: 180_000 }, () => {
  let stack: Stack;
  let s: Session;
  beforeAll(async () => {
    stack = await startStack("sqlite", "in-process", "cli-admin");
    s = await Session.open(stack);
  });
  afterAll(async () => {
    s?.close();
    await stack?.stop();
  });

  it("plugins: install from a tarball, enable/disable capabilities, approve hosts", async () => {
    const packed = await packPlugin({ dir: PLUGIN_DIR, outFile: join(s.op.home, "echo.tgz") });
    const installed = await s.shaped("plugins install", [packed.file]);
    expect(installed).toMatchObject({
      name: PLUGIN,
      version: "1.0.0",
      source: "tarball",
      integrity: packed.integrity,
    });
    expect(
      (installed as { capabilities: { enabled: boolean }[] }).capabilities.every((c) => !c.enabled),
    ).toBe(true);

    const enabled = await s.shaped("plugins enable", [PLUGIN]);
    expect((enabled as { capabilities: { enabled: boolean }[] }).capabilities.map((c) => c.enabled)).toEqual([
      true,
    ]);
    const disabled = await s.shaped("plugins disable", [PLUGIN]);
    expect((disabled as { capabilities: { enabled: boolean }[] }).capabilities.map((c) => c.enabled)).toEqual(
      [false],
    );
    const http = await s.shaped("plugins show", ["latchflow-http"]);
    expect(http).toMatchObject({ source: "builtin", requestedHosts: ["*"] });
    const listed = await s.shaped("plugins list", []);
    expect(listed.items.map((p: { name: string }) => p.name)).toContain(PLUGIN);
    expect(await s.ok(["plugins", "list"])).toMatch(new RegExp(`${PLUGIN}\\s+1\\.0\\.0\\s+tarball`));

    const approved = await s.shaped("plugins approve-hosts", [
      "latchflow-http",
      "api.example.com",
      "hooks.example.com",
    ]);
    expect(approved).toMatchObject({ approvedHosts: ["api.example.com", "hooks.example.com"] });
    const replaced = await s.shaped("plugins approve-hosts", ["latchflow-http", "--replace"]);
    expect(replaced).toMatchObject({ approvedHosts: [] });

    await s.fails(["plugins", "install", "./no-such.tgz"], 2, "usage");
    await s.fails(["plugins", "enable", "latchflow-plugin-nope"], 4, "not_found");
    await s.fails(["plugins", "uninstall", "latchflow-plugin-nope", "--yes"], 4, "not_found");
  });

  it("plugins secrets: the value from stdin (never echoed, never in argv), --value warns, rm", async () => {
    const set = await s.shaped("plugins secrets set", [PLUGIN, "apiKey"], {
      input: "s3cret-from-stdin\n",
    });
    expect(set).toMatchObject({ plugin: PLUGIN, name: "apiKey" });
    expect(JSON.stringify(set)).not.toContain("s3cret");
    const piped = await s.cli(["plugins", "secrets", "set", PLUGIN, "other"], { input: "v" });
    expect(piped.code).toBe(0);
    expect(piped.stderr).not.toContain("warning");
    const flagged = await s.cli(["plugins", "secrets", "set", PLUGIN, "third", "--value", "visible"]);
    expect(flagged.code).toBe(0);
    expect(flagged.stderr).toContain("warning: a value given with --value is visible");

    const names = await s.shaped("plugins secrets list", [PLUGIN]);
    expect(names.items.map((x: { name: string }) => x.name).sort()).toEqual(["apiKey", "other", "third"]);
    await s.fails(["plugins", "secrets", "set", PLUGIN, "empty"], 2, "usage", { input: "" });

    await s.shaped("plugins secrets rm", [PLUGIN, "third"]);
    await s.fails(["plugins", "secrets", "rm", PLUGIN, "third"], 4, "not_found");

    const refused = await s.cli(["plugins", "uninstall", PLUGIN]);
    expect(refused.code).toBe(2);
    await s.shaped("plugins uninstall", [PLUGIN, "--yes"]);
    // its secrets went with it
    expect(await s.shaped("plugins secrets list", [PLUGIN])).toEqual({
      items: [],
    });
  });

  it("plugins keys: trust a publisher's .pub file, list, the SIGNATURE column, remove", async () => {
    const key = await writeNewSigningKey(join(s.op.home, "acme.key"), "Acme Ltd");
    const packed = await packPlugin({
      dir: PLUGIN_DIR,
      outFile: join(s.op.home, "signed.tgz"),
      key: await readSigningKey(key.privateKeyFile),
    });
    const installed = await s.shaped("plugins install", [packed.file]);
    expect(installed).toMatchObject({
      signature: { state: "untrusted", keyId: key.keyId, fingerprint: key.fingerprint, signer: "Acme Ltd" },
      warnings: [expect.stringContaining("a key no admin trusts")],
    });
    const added = await s.shaped("plugins keys add", ["Acme (vetted)", key.publicKeyFile]);
    expect(added).toMatchObject({ name: "Acme (vetted)", keyId: key.keyId, publicKey: key.publicKey });
    expect(await s.shaped("plugins keys list", [])).toMatchObject({ items: [{ keyId: key.keyId }] });
    expect(await s.ok(["plugins", "list"])).toMatch(new RegExp(`${PLUGIN}.*signed by Acme \\(vetted\\)`));
    expect(await s.ok(["plugins", "show", PLUGIN])).toContain("signed by Acme (vetted)");
    await s.fails(["plugins", "keys", "add", "Again", key.publicKey], 5, "conflict");
    await s.fails(["plugins", "keys", "add", "Bad", "not-a-key"], 2, "usage");
    await s.shaped("plugins keys remove", [key.keyId]);
    expect(await s.ok(["plugins", "list"])).toContain(`signed, key not trusted (Acme Ltd, ${key.keyId})`);
    await s.fails(["plugins", "keys", "remove", key.keyId], 4, "not_found");
    await s.shaped("plugins uninstall", [PLUGIN, "--yes"]);
  });

  it("tokens: the secret printed once on stdout with a warning on stderr; rotate; revoke stops it (exit 3)", async () => {
    const created = await s.cli([
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

    const mine = await s.shaped("tokens list", [], { token: secret });
    const info = (mine.items as { id: string; name: string; scopes: string[] }[]).find(
      (t) => t.name === "ci",
    )!;
    expect(info.scopes).toEqual(["audit:read", "tokens:read"]);
    // narrower than tokens:write: rotating or creating is forbidden
    await s.fails(["tokens", "create", "more"], 3, "permission_denied", { token: secret });
    await s.fails(["tokens", "create", "x", "--scope", "nope:read"], 2, "usage");

    const rotated = await s.shaped("tokens rotate", [info.id]);
    await s.fails(["audit", "tail", "-n", "1"], 3, "unauthenticated", { token: secret });
    const next = (rotated as { token: string }).token;
    await s.ok(["audit", "tail", "-n", "1"], { token: next });

    const revoked = await s.shaped("tokens revoke", [info.id]);
    expect((revoked as { revokedAt: string | null }).revokedAt).not.toBeNull();
    await s.fails(["audit", "tail", "-n", "1"], 3, "unauthenticated", { token: next });
    await s.fails(["tokens", "revoke", "01ARZ3NDEKTSV4RRFFQ69G5FAV"], 4, "not_found");
  });

  it("users: list, invite (a taken email is a conflict, exit 5), role by email", async () => {
    const invited = await s.shaped("users invite", ["alice@example.com"]);
    expect(invited).toMatchObject({ email: "alice@example.com", role: "executor" });
    await s.fails(["users", "invite", "alice@example.com"], 5, "conflict");
    await s.fails(["users", "invite", "bob@example.com", "--role", "boss"], 2, "usage");
    const changed = await s.shaped("users role", ["alice@example.com", "admin"]);
    expect(changed).toMatchObject({ email: "alice@example.com", role: "admin" });
    const listed = await s.shaped("users list", []);
    expect(listed.items.map((u: { email: string }) => u.email).sort()).toEqual([
      "alice@example.com",
      OWNER_EMAIL,
    ]);
    await s.fails(["users", "role", "nobody@example.com", "admin"], 4, "not_found");
  });

  it("audit over REST: tail, query, export and verify --remote; the launcher's verify --file still checks the export offline", async () => {
    await s.ok(["users", "invite", "carol@example.com"]);
    await s.ok(["users", "role", "carol@example.com", "admin"]);
    const tail = await s.ok(["audit", "tail", "-n", "3"]);
    const lines = tail.trim().split("\n");
    expect(lines).toHaveLength(3);
    const seqs = lines.map((l) => Number(/^#(\d+) /.exec(l)?.[1]));
    expect(seqs).toEqual([seqs[0], seqs[0]! + 1, seqs[0]! + 2]);
    const ndjson = (await s.ok(["audit", "tail", "-n", "2", "--type", "auth.user.", "--json"]))
      .trim()
      .split("\n");
    const record = await s.commands.get("audit tail")!.output!.schema();
    const types = ndjson.map((l) => (record.parse(JSON.parse(l)) as { type: string }).type);
    expect(types).toEqual(["auth.user.invited", "auth.user.role-changed"]);
    const queried = await s.shaped("audit query", ["--type", "auth.", "--limit", "2"]);
    expect(queried.items).toHaveLength(2);
    expect(queried.nextCursor).not.toBeNull();
    await s.fails(["audit", "query", "--from", "yesterday"], 2, "validation_failed");

    const verified = await s.shaped("audit verify", ["--remote"]);
    expect(verified).toMatchObject({ ok: true, checkpoints: { anchoredSeq: 0 } });
    expect(verified).not.toHaveProperty("firstBroken");

    // the launcher's commands, where the server runs: checkpoint and public key from the data dir
    const launcher = (args: string[]) => latchflow(stack, args);
    expect((await launcher(["audit", "checkpoint"])).code).toBe(0);
    const key = await launcher(["audit", "public-key"]);
    expect(key.code).toBe(0);
    writeFileSync(join(s.op.home, "key.pem"), key.stdout);

    const file = join(s.op.home, "audit.ndjson");
    const written = await s.shaped("audit export", ["-o", file]);
    expect(written).toMatchObject({ file, format: "ndjson" });
    expect((written as { bytes: number }).bytes).toBe(readFileSync(file).length);
    const offline = await launcher([
      "audit",
      "verify",
      "--file",
      file,
      "--public-key",
      join(s.op.home, "key.pem"),
    ]);
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout).toContain(": OK,");
    const csv = (await s.ok(["audit", "export", "--format", "csv", "--type", "auth.user."]))
      .trim()
      .split("\n");
    expect(csv[0]).toMatch(/^seq,/);
    expect(csv.at(-1)).toContain("auth.user.role-changed");

    // a token without audit:read
    const { token: narrow } = await s.shaped<{ token: string }>("tokens create", [
      "narrow",
      "--scope",
      "bundles:read",
    ]);
    await s.fails(["audit", "verify", "--remote"], 3, "permission_denied", { token: narrow });
    await s.fails(["audit", "export", "-o", join(s.op.home, "no.ndjson")], 3, "permission_denied", {
      token: narrow,
    });
  });

  it("checked the --json shape of every plugins, tokens, users and audit command", () => {
    s.exercised.add("audit tail"); // NDJSON: one record per line, each checked above
    expect(s.unexercised(["plugins", "tokens", "users", "audit"])).toEqual([]);
  });
});
