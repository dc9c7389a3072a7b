// What every `latchflow-plugin` command is: one file under commands/, listed once in ../cli.ts.

/** Bad arguments: printed with the usage text, exit code 2. */
export class UsageError extends Error {}

export interface Command {
  readonly name: string;
  /** the command's lines in the usage text, starting with its name */
  readonly usage: string;
  /** returns the exit code: 0 ok, 1 failed */
  run(args: string[]): Promise<number>;
}

export function out(text: string): void {
  process.stdout.write(text);
}
