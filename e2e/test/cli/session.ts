import { allCommands } from "@latchflow/cli/commands";
import { expect } from "vitest";
import { OWNER_TOKEN, type Stack } from "../stack.js";
import { type Done, Operator } from "./helpers.js";

type Commands = Awaited<ReturnType<typeof allCommands>>;

export interface RunOptions {
  /** the token the command signs in with (default: the owner's) */
  token?: string;
  /** written to the command's stdin */
  input?: string;
  env?: Record<string, string>;
}

/**
 * An operator signed in to a stack through LATCHFLOW_SERVER and LATCHFLOW_TOKEN, running `latchflow` as a
 * subprocess: results checked by exit code, and `--json` output by the command's documented shape.
 */
export class Session {
  readonly op = new Operator();
  /** the commands whose --json output a test checked */
  readonly exercised = new Set<string>();
  private constructor(
    readonly stack: Stack,
    readonly commands: Commands,
  ) {}

  static async open(stack: Stack): Promise<Session> {
    return new Session(stack, await allCommands());
  }

  cli(args: string[], o: RunOptions = {}): Promise<Done> {
    const env = { LATCHFLOW_SERVER: this.stack.base, LATCHFLOW_TOKEN: o.token ?? OWNER_TOKEN, ...o.env };
    return this.op.cli(args, env, o.input);
  }

  /** Expects exit 0; returns stdout. */
  async ok(args: string[], o: RunOptions = {}): Promise<string> {
    const r = await this.cli(args, o);
    expect(r.code, `latchflow ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).toBe(0);
    return r.stdout;
  }

  /** `latchflow <path> <args> --json`: exit 0 and stdout of the command's documented shape. */
  // biome-ignore lint/suspicious/noExplicitAny: each test reads the fields it checks
  async shaped<T = any>(path: string, args: string[] = [], o: RunOptions = {}): Promise<T> {
    const command = this.commands.get(path);
    expect(command?.output, `${path} documents its --json shape`).toBeDefined();
    const out: unknown = JSON.parse(await this.ok([...path.split(" "), ...args, "--json"], o));
    const checked = (await command!.output!.schema()).safeParse(out);
    expect(checked.error?.issues ?? [], `${path} --json`).toEqual([]);
    this.exercised.add(path);
    return out as T;
  }

  /** Expects exit `code` and, with --json, the error shape on stderr naming `errorCode`. */
  async fails(args: string[], code: number, errorCode: string, o: RunOptions = {}): Promise<Done> {
    const r = await this.cli([...args, "--json"], o);
    expect(r.code, `latchflow ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).toBe(code);
    const last = r.stderr.trim().split("\n").at(-1) ?? "";
    expect(JSON.parse(last)).toMatchObject({ error: { code: errorCode, exitCode: code } });
    return r;
  }

  /** The documented commands of these groups that no test checked with --json. */
  unexercised(groups: readonly string[]): string[] {
    return [...this.commands.values()]
      .filter((c) => c.output && groups.includes(c.path[0]!))
      .map((c) => c.path.join(" "))
      .filter((p) => !this.exercised.has(p))
      .sort();
  }

  close(): void {
    this.op.remove();
  }
}
