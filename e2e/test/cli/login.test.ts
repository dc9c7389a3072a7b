// `latchflow login / whoami / logout` as an operator runs them: the device flow approved as the admin app's
// /admin/device page does, the token kept in the config folder (0600) when there is no keychain, a login on a
// terminal (tmux) that asks for the server, a narrower login refused, a denied one explained.
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { allCommands, ExitCode } from "@latchflow/cli/commands";
import { BIN } from "@latchflow/cli/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { http } from "../http.js";
import { type Browser, OWNER_EMAIL, type Stack, startStack } from "../stack.js";
import { decideDevice, deviceLogin, Operator, waitFor } from "./helpers.js";

const SESSION = `lf-login-${process.pid}`;
const tmux = (...args: string[]) => execFileSync("tmux", args).toString();
const screen = () => {
  try {
    return tmux("capture-pane", "-p", "-t", SESSION, "-S", "-40");
  } catch {
    return "";
  }
};
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe("operator CLI sign-in (sqlite + in-process)", () => {
  let s: Stack;
  let owner: Browser;
  let commands: Awaited<ReturnType<typeof allCommands>>;
  const operators: Operator[] = [];
  const operator = (extra: Record<string, string> = {}) => {
    const op = new Operator(extra);
    operators.push(op);
    return op;
  };
  const shape = async (path: string, value: unknown) => {
    const checked = (await commands.get(path)!.output!.schema()).safeParse(value);
    expect(checked.success, `${path}: ${JSON.stringify(checked.error?.issues)}`).toBe(true);
  };

  beforeAll(async () => {
    s = await startStack("sqlite", "in-process", "cli-login");
    owner = await s.signIn(OWNER_EMAIL);
    commands = await allCommands();
  });
  afterAll(async () => {
    try {
      tmux("kill-session", "-t", SESSION);
    } catch {}
    await s?.stop();
    for (const op of operators) op.remove();
  });

  it("logs in through the device flow, keeps the token in a 0600 file without a keychain, and logs out", async () => {
    // a D-Bus address with nothing behind it: the keychain fails and the file takes the token
    const op = operator({ DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus" });
    const login = await deviceLogin(op, s, owner);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toMatch(/open http:\/\/127\.0\.0\.1:\d+\/device and enter the code/);
    const result = JSON.parse(login.stdout);
    await shape("login", result);
    expect(result).toMatchObject({
      server: s.base,
      profile: "default",
      user: { email: OWNER_EMAIL, role: "owner" },
    });
    expect(result.tokenStore).toEqual({ kind: "file", where: join(op.configDir, "credentials.json") });
    expect(mode(op.configDir)).toBe("700");
    expect(mode(join(op.configDir, "config.json"))).toBe("600");
    expect(mode(join(op.configDir, "credentials.json"))).toBe("600");
    const token = JSON.parse(readFileSync(join(op.configDir, "credentials.json"), "utf8")).tokens
      .default as string;
    expect(token).toMatch(/^lf_/);
    expect(readFileSync(join(op.configDir, "config.json"), "utf8")).not.toContain(token);

    const who = JSON.parse((await op.cli(["whoami", "--json"])).stdout);
    await shape("whoami", who);
    expect(who).toMatchObject({ server: s.base, tokenSource: join(op.configDir, "credentials.json") });
    expect((await op.cli(["bundles", "list"])).code).toBe(ExitCode.Ok);

    const out = await op.json(["logout"]);
    await shape("logout", out);
    expect(out).toEqual({ profile: "default", server: s.base, revoked: true, forgotten: true });
    expect((await http(s.base, "GET", "/api/v1/bundles", { token })).status).toBe(401); // revoked server-side
    const after = await op.cli(["whoami"]);
    expect(after.code).toBe(ExitCode.Auth);
    expect(after.stderr).toContain("latchflow login");
  }, 120_000);

  it("a profile signed in with fewer scopes is refused with exit 3; a denied sign-in says so", async () => {
    const op = operator();
    const login = await deviceLogin(op, s, owner, ["--profile", "reader", "--scope", "bundles:read"]);
    expect(login.code, login.stderr).toBe(0);
    expect(JSON.parse(login.stdout).scopes).toEqual(["bundles:read"]);
    expect((await op.cli(["bundles", "list", "--profile", "reader"])).code).toBe(ExitCode.Ok);
    const refused = await op.cli(["bundles", "create", "Nope", "--profile", "reader"]);
    expect(refused.code).toBe(ExitCode.Auth);
    // the default profile was never signed in
    expect((await op.cli(["bundles", "list"])).code).toBe(ExitCode.Auth);

    const r = op.start(["login", "--server", s.base, "--no-browser"]);
    const code = await waitFor(r.stderr, /^\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s*$/m);
    await decideDevice(owner, code, "deny");
    expect(await r.exit).toBe(ExitCode.Auth);
    expect(r.stderr()).toContain("the sign-in was denied in the browser");
    expect(r.stderr()).toContain("run `latchflow login` again");
  }, 120_000);

  it("on a terminal, asks for the server, shows the code, and says where the token went", async () => {
    const op = operator();
    const vars = Object.entries(op.env({ TERM: "xterm" })).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    const command = `'${process.execPath}' '${BIN}' login --no-browser; echo EXIT=$?; sleep 600`;
    tmux("new-session", "-d", "-s", SESSION, "-x", "140", "-y", "30", ...vars, "bash", "-c", command);
    await waitFor(screen, /(Server URL \(e\.g\. https:\/\/latchflow\.example\):)/); // the pane drops trailing spaces
    tmux("send-keys", "-t", SESSION, s.base, "Enter");
    const code = await waitFor(screen, /^\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s*$/m);
    expect(screen()).toContain(`open ${s.base}/device and enter the code`);
    await decideDevice(owner, code, "approve");
    expect(await waitFor(screen, /EXIT=(\d+)/)).toBe("0");
    const shown = screen();
    expect(shown).toContain(`Signed in to ${s.base} as ${OWNER_EMAIL} (owner).`);
    expect(shown).toContain(
      `No OS keychain here: token stored in ${join(op.configDir, "credentials.json")} (mode 0600).`,
    );
    expect((await op.cli(["bundles", "list"])).code).toBe(ExitCode.Ok);
  }, 120_000);
});
