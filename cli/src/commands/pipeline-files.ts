// Pipeline documents on disk (`-f FILE|DIR`): which files, their text, the name each declares, and their
// validation with @latchflow/spec, reported compiler-style as `file:line:col: code: message`.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ValidateOptions } from "@latchflow/spec";
import { API_ERRORS, CliError, ExitCode, usageError } from "./exit-codes.js";
import type { Output } from "./output.js";

/** One pipeline document read from disk. */
export interface PipelineFile {
  /** the path as given (or DIR/name for files found in a directory) */
  file: string;
  text: string;
}

/** A diagnostic located in a file: the spec's (offline) or the server's (a 422's details). */
export interface FileDiagnostic {
  file: string;
  line: number;
  column: number;
  code: string;
  message: string;
  severity: "error" | "warning";
  suggestion?: string;
}

/** A validated document: its name (when its structure is valid) and what was found. */
export interface CheckedFile extends PipelineFile {
  name: string | null;
  /** `spec.enabled` when the document states it */
  enabled: boolean | undefined;
  ok: boolean;
  diagnostics: FileDiagnostic[];
}

const DOCUMENT = /\.(ya?ml)$/i;

/** The files `-f` names: each FILE as given, each DIR's *.yaml / *.yml (not recursive), in name order. */
export async function readPipelineFiles(
  paths: readonly string[],
  commandLine: string,
): Promise<PipelineFile[]> {
  if (paths.length === 0) throw usageError("no pipeline files: pass -f FILE or -f DIR", commandLine);
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info) {
      throw new CliError(
        `${path}: no such file or directory`,
        ExitCode.NotFound,
        "check the path given to -f",
        "not_found",
      );
    }
    if (info.isDirectory()) {
      const names = (await readdir(path)).filter((n) => DOCUMENT.test(n)).sort();
      if (names.length === 0) {
        throw new CliError(
          `${path}: no *.yaml or *.yml file in it`,
          ExitCode.NotFound,
          "check the path given to -f",
          "not_found",
        );
      }
      files.push(...names.map((n) => join(path, n)));
    } else files.push(path);
  }
  return await Promise.all(
    [...new Set(files)].map(async (file) => ({ file, text: await readFile(file, "utf8") })),
  );
}

/** The enabled capabilities (the built-ins offline, or the server's) and, from a server, the disabled ones. */
export type Catalogs = Pick<ValidateOptions, "capabilities" | "disabled">;

/**
 * Validates each file with @latchflow/spec against `capabilities` (the built-ins offline, or the server's
 * catalog), and checks that no two files declare the same pipeline.
 */
export async function checkPipelineFiles(
  files: readonly PipelineFile[],
  catalogs: Catalogs,
): Promise<CheckedFile[]> {
  const { validatePipeline } = await import("@latchflow/spec");
  const checked: CheckedFile[] = [];
  const seen = new Map<string, string>();
  for (const f of files) {
    const result = await validatePipeline(f.text, catalogs);
    const diagnostics: FileDiagnostic[] = result.diagnostics.map((d) => ({
      file: f.file,
      line: d.range.start.line,
      column: d.range.start.column,
      code: d.code,
      message: d.message,
      severity: d.severity,
      ...(d.suggestion ? { suggestion: d.suggestion } : {}),
    }));
    const name = result.pipeline?.metadata.name ?? null;
    if (name !== null) {
      const other = seen.get(name);
      if (other !== undefined) {
        diagnostics.push({
          file: f.file,
          line: 1,
          column: 1,
          code: "duplicate_pipeline",
          message: `pipeline "${name}" is also declared in ${other}`,
          severity: "error",
        });
      } else seen.set(name, f.file);
    }
    checked.push({
      ...f,
      name,
      enabled: result.pipeline?.spec.enabled,
      ok: !diagnostics.some((d) => d.severity === "error"),
      diagnostics,
    });
  }
  return checked;
}

/** `file:line:col: code: message` (`(warning)` after warnings; the message already names any suggestion). */
export function formatDiagnostic(d: FileDiagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.code}: ${d.message}${d.severity === "warning" ? " (warning)" : ""}`;
}

/** Prints every diagnostic of invalid files and fails with the validation exit code (2, as a server 422). */
export function failOnInvalid(out: Output, files: readonly CheckedFile[]): void {
  const invalid = files.filter((f) => !f.ok);
  if (invalid.length === 0) return;
  for (const f of invalid) for (const d of f.diagnostics) out.note(formatDiagnostic(d));
  const errors = invalid.reduce((n, f) => n + f.diagnostics.filter((d) => d.severity === "error").length, 0);
  throw new CliError(
    `${errors} error(s) in ${invalid.length} pipeline file(s); nothing was sent`,
    API_ERRORS.validation_failed.exit,
    "fix them (`latchflow pipelines validate -f …` checks offline), then run the command again",
    "validation_failed",
  );
}
