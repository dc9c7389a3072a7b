import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";

const README = new URL("../../../README.md", import.meta.url);
const CI_RUN = new URL("../../../.ci/run", import.meta.url);
const MARKER = /^\s*# README test command:\s*$/;

/** Commands of the first ```sh block: non-blank, non-comment lines, with `\` continuations joined. */
function firstShBlockCommands(markdown: string): string[] {
  const block = /^```sh[ \t]*\r?\n([\s\S]*?)^```/m.exec(markdown)?.[1];
  if (block === undefined) return [];
  return block
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((l) => l.trim().replace(/\s+/g, " "))
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/** The line right after the marker comment in .ci/run: the command it executes. */
function ciRunTestCommand(script: string): string | undefined {
  const lines = script.split("\n");
  const at = lines.findIndex((l) => MARKER.test(l));
  if (at < 0) return undefined;
  return lines
    .slice(at + 1)
    .find((l) => l.trim() !== "")
    ?.trim()
    .replace(/\s+/g, " ");
}

describe("firstShBlockCommands", () => {
  it("takes the first sh block, skipping blanks and comments and joining continuations", () => {
    const md =
      "# T\n```bash\nnot this\n```\n```sh\n# setup\nnpm i -g pnpm\n\npnpm install \\\n  && pnpm test\n```\n```sh\nlater\n```\n";
    expect(firstShBlockCommands(md)).toEqual(["npm i -g pnpm", "pnpm install && pnpm test"]);
  });
});

describe(".ci/run", () => {
  const script = readFileSync(CI_RUN, "utf8");

  it("is an executable bash script that stops on errors", () => {
    expect(statSync(CI_RUN).mode & 0o111).not.toBe(0);
    expect(script.startsWith("#!/usr/bin/env bash\n")).toBe(true);
    expect(script).toMatch(/^set -euo pipefail$/m);
    execFileSync("bash", ["-n", CI_RUN.pathname]);
  });

  it("marks exactly one command as the README's test command, and executes it", () => {
    expect(script.split("\n").filter((l) => MARKER.test(l))).toHaveLength(1);
    const command = ciRunTestCommand(script);
    expect(command).toMatch(/install --frozen-lockfile && .*\btest$/);
  });

  it("runs the same test command as the README (second command of its first ```sh block)", () => {
    expect(existsSync(README), "README.md is missing at the repository root").toBe(true);
    const commands = firstShBlockCommands(readFileSync(README, "utf8"));
    expect(
      commands.length,
      "README.md needs a ```sh block with at least two commands",
    ).toBeGreaterThanOrEqual(2);
    expect(commands[1]).toBe(ciRunTestCommand(script));
  });
});
