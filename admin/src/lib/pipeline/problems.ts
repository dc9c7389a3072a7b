// The problems of a pipeline document, one shape for both views: a JSON Pointer for the builder's fields and a
// line and column for the YAML tab. They come from the YAML parser, from the spec's condition checker (run here,
// at once) and from the server's validator (the spec's `validatePipeline`, through the API).
import type { schemas } from "@latchflow/api";
import { checkCondition, DiagnosticCode } from "@latchflow/spec/browser";
import { isScalar } from "yaml";
import type { Path, YamlSource } from "./yaml-source.js";
import { valueAt } from "./yaml-source.js";

export interface Problem {
  code: string;
  message: string;
  severity: "error" | "warning";
  /** JSON Pointer of the value (`""`: the document) */
  path: string;
  /** 1-based; `end` exclusive */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  suggestion?: string;
}

/** The JSON Pointer of a path (RFC 6901). */
export const pointer = (path: Path): string =>
  path.map((seg) => `/${String(seg).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");

function at(src: YamlSource, start: number, end: number) {
  const s = src.lineCounter.linePos(Math.max(0, Math.min(start, src.text.length)));
  const e = src.lineCounter.linePos(Math.max(0, Math.min(Math.max(start, end), src.text.length)));
  return { line: s.line, column: s.col, endLine: e.line, endColumn: e.col };
}

/** YAML syntax errors and warnings: while there are errors, nothing else can be checked. */
export function syntaxProblems(src: YamlSource): Problem[] {
  return [
    ...src.doc.errors.map((e) => ({ e, severity: "error" as const })),
    ...src.doc.warnings.map((e) => ({ e, severity: "warning" as const })),
  ].map(({ e, severity }) => ({
    code: DiagnosticCode.YamlSyntax,
    message: (e.message.split("\n")[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ""),
    severity,
    path: "",
    ...at(src, e.pos[0], e.pos[1]),
  }));
}

/**
 * Each step's `if:` checked by the spec's own checker (CEL syntax, types, steps named before this one), located
 * inside the expression when it is written as is.
 */
export function conditionProblems(src: YamlSource): Problem[] {
  const steps = valueAt(src, ["spec", "steps"]);
  if (!Array.isArray(steps)) return [];
  const allSteps = new Set(steps.map((s) => String((s as { id?: unknown })?.id ?? "")));
  const earlierSteps = new Set<string>();
  const out: Problem[] = [];
  steps.forEach((step: { id?: unknown; if?: unknown }, i) => {
    const path = ["spec", "steps", i, "if"];
    if (typeof step?.if === "string") {
      const node = src.doc.getIn(path, true);
      const range = isScalar(node) ? node.range : undefined;
      const raw = range ? src.text.slice(range[0], range[1]) : "";
      // where the expression's first character is, when the text holds it unchanged (plain or simply quoted)
      const base =
        range && raw === step.if
          ? range[0]
          : range && raw.slice(1, -1) === step.if && /^["']/.test(raw)
            ? range[0] + 1
            : undefined;
      const context = { stepId: String(step.id ?? ""), earlierSteps, allSteps };
      for (const issue of checkCondition(step.if, context)) {
        const place =
          base !== undefined
            ? at(src, base + issue.start, base + issue.end)
            : at(src, range?.[0] ?? 0, range?.[1] ?? 0);
        out.push({
          code: issue.code,
          message: issue.message,
          severity: "error",
          path: pointer(path),
          ...place,
        });
      }
    }
    earlierSteps.add(String(step?.id ?? ""));
  });
  return out;
}

/** A diagnostic of the server's validator (POST /pipelines/validate, or a refused PUT). */
export const fromDiagnostic = (d: schemas.Diagnostic): Problem => ({
  code: d.code,
  message: d.message,
  severity: d.severity,
  path: d.path,
  line: d.range.start.line,
  column: d.range.start.column,
  endLine: d.range.end.line,
  endColumn: d.range.end.column,
  ...(d.suggestion ? { suggestion: d.suggestion } : {}),
});

/** The condition codes: the browser checks these itself, with the same checker. */
export const CONDITION_CODES: ReadonlySet<string> = new Set([
  DiagnosticCode.CelSyntax,
  DiagnosticCode.CelType,
  DiagnosticCode.UnknownStepReference,
]);

/** The problems of exactly this value. */
export const problemsAt = (problems: readonly Problem[], path: Path | string): Problem[] => {
  const p = typeof path === "string" ? path : pointer(path);
  return problems.filter((x) => x.path === p);
};

/** The problems of this value and everything in it. */
export const problemsWithin = (problems: readonly Problem[], path: Path | string): Problem[] => {
  const p = typeof path === "string" ? path : pointer(path);
  return problems.filter((x) => x.path === p || x.path.startsWith(`${p}/`));
};

/** Problems sorted by where they are, errors before warnings on the same spot. */
export const byPosition = (problems: readonly Problem[]): Problem[] =>
  [...problems].sort(
    (a, b) =>
      a.line - b.line ||
      a.column - b.column ||
      (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1),
  );

/** What the builder says of a problem: the message with a first capital and the suggestion, if any. */
export function sentence(p: Problem): string {
  const text = p.message.charAt(0).toUpperCase() + p.message.slice(1);
  return p.suggestion && !text.includes(p.suggestion) ? `${text} (did you mean “${p.suggestion}”?)` : text;
}
