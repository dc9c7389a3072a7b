// The operator CLI as a subprocess against a real embedded server: every command's --json output parsed and
// checked against its documented shape, the exit code of each error class, help and completion.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { allCommands, ExitCode } from "@latchflow/cli/commands";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OWNER_TOKEN, type Stack, startStack } from "../stack.js";
import { Operator } from "./helpers.js";

describe("operator CLI commands (sqlite + in-process)", { timeout: 300_000 }, () => {
  let s: Stack;
  let op: Operator;
  let commands: Awaited<ReturnType<typeof allCommands>>;
  const exercised = new Set<string>();
  let env: Record<string, string>;

  /** Runs `latchflow <path...> <args> --json` and checks stdout against the command's documented shape. */
  const shaped = async (path: string, args: string[] = []) => {
    const command = commands.get(path);
    expect(command?.output, `${path} documents its --json shape`).toBeDefined();
    const out = await op.json([...path.split(" "), ...args], env);
    exercised.add(path);
    const checked = (await command!.output!.schema()).safeParse(out);
    expect(checked.success, `${path}: ${JSON.stringify(checked.error?.issues)}`).toBe(true);
    return out as never;
  };

  beforeAll(async () => {
    s = await startStack("sqlite", "in-process", "cli-commands");
    op = new Operator();
    env = { LATCHFLOW_SERVER: s.base, LATCHFLOW_TOKEN: OWNER_TOKEN };
    commands = await allCommands();
  });
  afterAll(async () => {
    await s?.stop();
    op?.remove();
  });

  it("each command's --json output has its documented shape", async () => {
    const dir = join(op.home, "docs");
    mkdirSync(join(dir, "sub"), { recursive: true });
    writeFileSync(join(dir, "letter.txt"), "dear family\n");
    writeFileSync(join(dir, "sub", "will.txt"), "I leave everything to the cat\n");
    const up: { uploaded: { id: string; folder: string }[] } = await shaped("files upload", [
      dir,
      "--folder",
      "/family",
    ]);
    expect(up.uploaded.map((f) => f.folder).sort()).toEqual(["/family/docs", "/family/docs/sub"]);
    await shaped("files list", ["--folder", "/family/docs"]);
    await shaped("files show", ["/family/docs/letter.txt"]);
    const bundle: { id: string } = await shaped("bundles create", [
      "Family archive",
      "--description",
      "for later",
    ]);
    await shaped("bundles add", ["Family archive", "/family/docs/letter.txt", "/family/docs/sub/will.txt"]);
    const reordered: { objects: { path: string }[] } = await shaped("bundles reorder", [
      bundle.id,
      "will.txt",
    ]);
    expect(reordered.objects.map((o) => o.path)).toEqual(["will.txt", "letter.txt"]);
    await shaped("bundles show", ["Family archive"]);
    const listed: { items: { id: string }[] } = await shaped("bundles list");
    expect(listed.items.map((b) => b.id)).toContain(bundle.id);
    await shaped("recipients add", ["alice@example.com", "--name", "Alice"]);
    const csv = join(op.home, "people.csv");
    writeFileSync(csv, "email,name,enabled\nbob@example.com,Bob,true\n");
    expect(await shaped("recipients import", [csv])).toEqual({ created: 1, updated: 0, unchanged: 0 });
    // a refused import writes nothing and lists every problem with its line
    writeFileSync(
      csv,
      "email,name,enabled\ncarol@example.com,Carol,true\nnot-an-email,X,true\ndan@example.com,Dan,maybe\n",
    );
    const refused = await op.cli(["recipients", "import", csv], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`${csv}:3: email: .+\n${csv}:4: enabled: .+\n`));
    await shaped("recipients list");
    const exported: { email: string }[] = await shaped("recipients export");
    expect(exported.map((r) => r.email).sort()).toEqual(["alice@example.com", "bob@example.com"]);
    const shared: { assignments: { maxDownloads: number }[] } = await shaped("bundles share", [
      "Family archive",
      "--to",
      "alice@example.com",
      "--max-downloads",
      "2",
    ]);
    expect(shared.assignments[0]?.maxDownloads).toBe(2);
    const set: { maxDownloads: number } = await shaped("assignments set", [
      "Family archive",
      "bob@example.com",
      "--max-downloads",
      "5",
      "--cooldown",
      "1h",
    ]);
    expect(set.maxDownloads).toBe(5);
    const letter = join(op.home, "letter-to-bob.txt");
    writeFileSync(letter, "Dear Bob,\n<b>read this</b> first.\n");
    const told: { message: string; acknowledgementRequired: boolean } = await shaped("assignments set", [
      "Family archive",
      "bob@example.com",
      "--message-file",
      letter,
      "--require-ack",
    ]);
    expect(told).toMatchObject({
      message: "Dear Bob,\n<b>read this</b> first.",
      acknowledgementRequired: true,
    });
    const untold: { message: string; acknowledgementRequired: boolean } = await shaped("assignments set", [
      "Family archive",
      "bob@example.com",
      "--message",
      "",
      "--no-require-ack",
    ]);
    expect(untold).toMatchObject({ message: "", acknowledgementRequired: false });
    const assignments: { items: unknown[] } = await shaped("assignments list", ["Family archive"]);
    expect(assignments.items).toHaveLength(2);
    const link: { link: { url: string } } = await shaped("bundles share", [
      "Family archive",
      "--link",
      "--expires",
      "1h",
    ]);
    expect(link.link.url).toMatch(/\/s\/[\w-]+$/);
    const zip = join(op.home, "family.zip");
    const exportedZip: { bytes: number; resumedFrom: number; etag: string; bundleId: string } = await shaped(
      "bundles export",
      ["Family archive", "-o", zip],
    );
    const whole = readFileSync(zip);
    expect(whole.subarray(0, 2).toString()).toBe("PK");
    expect(exportedZip).toMatchObject({ bytes: whole.length, resumedFrom: 0 });
    // an interrupted export (a part and the ETag it came from) resumes with Range to the same bytes
    const again = join(op.home, "again.zip");
    writeFileSync(`${again}.part`, whole.subarray(0, 100));
    writeFileSync(`${again}.part.etag`, exportedZip.etag);
    const resumed: { bytes: number; resumedFrom: number } = await shaped("bundles export", [
      "Family archive",
      "-o",
      again,
    ]);
    expect(resumed).toMatchObject({ bytes: whole.length, resumedFrom: 100 });
    expect(readFileSync(again).equals(whole)).toBe(true);
    // the export made no publish link: the one `bundles share --link` made is the only one
    const links = await s.client().listPublishLinks({ params: { id: exportedZip.bundleId } });
    expect(links.items).toHaveLength(1);
    await shaped("bundles disable", ["Family archive"]);
    await shaped("bundles enable", ["Family archive"]);
    await shaped("bundles rm", ["Family archive", "letter.txt"]);
    const moved: { folder: string; name: string } = await shaped("files mv", [
      "/family/docs/letter.txt",
      "/archive/old.txt",
    ]);
    expect(moved).toMatchObject({ folder: "/archive", name: "old.txt" });
    await shaped("files rm", ["/archive/old.txt"]);
    await shaped("bundles delete", ["Family archive", "--force"]);
    // pipelines, plugins, tokens, users and audit are checked in pipelines.test.ts and admin.test.ts
    const elsewhere = ["pipelines", "plugins", "tokens", "users", "audit"];
    const documented = [...commands.values()].filter(
      (c) =>
        c.output &&
        !["login", "logout", "whoami"].includes(c.path.join(" ")) &&
        !elsewhere.includes(c.path[0]!),
    );
    expect([...exercised].sort()).toEqual(documented.map((c) => c.path.join(" ")).sort());
  });

  it("answers each error class with its exit code and a hint", async () => {
    // not signed in: no token anywhere
    const anon = await op.cli(["bundles", "list"], { LATCHFLOW_SERVER: s.base });
    expect(anon.code).toBe(ExitCode.Auth);
    expect(anon.stderr).toContain("latchflow login");
    // a bad token: the server's unauthenticated
    const bad = await op.cli(["bundles", "list", "--json"], {
      LATCHFLOW_SERVER: s.base,
      LATCHFLOW_TOKEN: "lf_nope",
    });
    expect(bad.code).toBe(ExitCode.Auth);
    expect(JSON.parse(bad.stderr)).toMatchObject({ error: { code: "unauthenticated", exitCode: 3 } });
    // forbidden: a narrower token
    const narrow = await s.client().createToken({ body: { name: "read only", scopes: ["bundles:read"] } });
    const readOnly = { LATCHFLOW_SERVER: s.base, LATCHFLOW_TOKEN: narrow.token };
    expect((await op.cli(["bundles", "list"], readOnly)).code).toBe(ExitCode.Ok);
    const forbidden = await op.cli(["bundles", "create", "Nope"], readOnly);
    expect(forbidden.code).toBe(ExitCode.Auth);
    expect(forbidden.stderr).toMatch(/→ .*permission/);
    // not found
    const missing = await op.cli(["bundles", "show", "01ARZ3NDEKTSV4RRFFQ69G5FAV"], env);
    expect(missing.code).toBe(ExitCode.NotFound);
    expect((await op.cli(["files", "show", "/nowhere/x.txt"], env)).code).toBe(ExitCode.NotFound);
    // conflict
    expect((await op.cli(["bundles", "create", "Twice"], env)).code).toBe(ExitCode.Ok);
    const twice = await op.cli(["bundles", "create", "Twice"], env);
    expect(twice.code).toBe(ExitCode.Conflict);
    expect(twice.stderr).toContain("already exists");
    // usage: unknown flag, missing argument, unknown command, bad duration
    for (const args of [
      ["bundles", "list", "--bogus"],
      ["bundles", "show"],
      ["bundles", "frobnicate"],
      ["bundles", "share", "Twice", "--link", "--expires", "soon"],
    ]) {
      const usage = await op.cli(args, env);
      expect(usage.code, args.join(" ")).toBe(ExitCode.Usage);
      expect(usage.stderr + usage.stdout).toMatch(/--help|Usage/);
    }
    // the server is not there
    const down = await op.cli(["bundles", "list"], {
      LATCHFLOW_SERVER: "http://127.0.0.1:9",
      LATCHFLOW_TOKEN: OWNER_TOKEN,
    });
    expect(down.code).toBe(ExitCode.Error);
    expect(down.stderr).toContain("cannot reach http://127.0.0.1:9");
  });

  it("has --help with an example on every command, and completion scripts for bash, zsh and fish", async () => {
    for (const [path, c] of commands) {
      const help = await op.cli([...path.split(" "), "--help"]);
      expect(help.code, path).toBe(0);
      expect(help.stdout).toContain(`Usage: ${c.usage.split("\n")[0]}`);
      expect(help.stdout).toMatch(/Examples?:\n {2}latchflow |Examples?:\n {2}eval /);
      expect(help.stdout).toContain("Who may run it:");
    }
    const bash = await op.cli(["completion", "bash"]);
    expect(bash.stdout).toContain("'bundles') words='create list show");
    execFileSync("bash", ["-n"], { input: bash.stdout }); // parses
    const words = execFileSync("bash", [
      "-c",
      `${bash.stdout}\nCOMP_WORDS=(latchflow files up); COMP_CWORD=2; _latchflow; echo "\${COMPREPLY[@]}"`,
    ]);
    expect(words.toString().trim()).toBe("upload");
    expect((await op.cli(["completion", "zsh"])).stdout).toContain("#compdef latchflow");
    expect((await op.cli(["completion", "fish"])).stdout).toContain("complete -c latchflow");
    expect((await op.cli(["completion", "tcsh"])).code).toBe(ExitCode.Usage);
  });

  it("prints human tables without colour when not on a terminal", async () => {
    const table = await op.cli(["bundles", "list"], { ...env, NO_COLOR: "" });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+NAME\s+ENABLED\s+FILES\s+SIZE\s+UPDATED\n/);
    expect(table.stdout).not.toContain("\u001b[");
  });
});
