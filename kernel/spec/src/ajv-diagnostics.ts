import type { ErrorObject } from "ajv";
import { DiagnosticCode } from "./codes.js";
import type { Diagnostic } from "./diagnostic.js";
import { parseDuration } from "./duration.js";
import { closest } from "./edit-distance.js";
import { CAPABILITY_NAME_MESSAGE, usesProblem } from "./naming.js";
import { fromPointer, makeDiagnostic, type Path, type SourceMap } from "./source-map.js";

const LABEL_HINT = "must be a lowercase DNS label: a-z, 0-9 and '-', at most 63 characters";

/**
 * Turns Ajv errors into ranged diagnostics. `base` is the document path of the validated value (e.g. a
 * step's `with`); `code` is used for everything except duration formats, which become `bad_duration`.
 */
export function ajvDiagnostics(
  src: SourceMap,
  errors: readonly ErrorObject[] | null | undefined,
  base: Path,
  code: typeof DiagnosticCode.Schema | typeof DiagnosticCode.ConfigSchema,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    if (e.keyword === "if" || e.keyword === "allOf" || e.keyword === "$ref") continue;
    const d = one(src, e, [...base, ...fromPointer(e.instancePath)], code);
    const id = `${d.code}|${d.path}|${d.message}`;
    if (!seen.has(id)) out.push(d);
    seen.add(id);
  }
  return out;
}

function one(src: SourceMap, e: ErrorObject, path: Path, code: Diagnostic["code"]): Diagnostic {
  const field = path.length ? `'${path.at(-1)}'` : "the document";
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "additionalProperty":
    case "additionalProperties": {
      const name = String(params.additionalProperty);
      const known = Object.keys((e.parentSchema?.properties as object | undefined) ?? {});
      const suggestion = closest(name, known);
      const where = path.length ? ` in ${field}` : "";
      const hint = suggestion
        ? `; did you mean '${suggestion}'?`
        : known.length
          ? ` (allowed: ${known.join(", ")})`
          : "";
      return makeDiagnostic(src, code, `unknown field '${name}'${where}${hint}`, [...path, name], {
        key: true,
        suggestion,
      });
    }
    case "required":
      return makeDiagnostic(
        src,
        code,
        `${field} is missing required field '${params.missingProperty}'`,
        path,
        {
          key: true,
        },
      );
    case "format":
      if (params.format === "duration" && typeof e.data === "string") {
        const parsed = parseDuration(e.data);
        const message = parsed.ok ? `invalid duration "${e.data}"` : parsed.message;
        return makeDiagnostic(src, DiagnosticCode.BadDuration, `${field}: ${message}`, path);
      }
      return makeDiagnostic(src, code, `${field} must be a valid ${String(params.format)}`, path);
    case "const":
      return makeDiagnostic(src, code, `${field} must be ${JSON.stringify(params.allowedValue)}`, path, {
        suggestion: typeof params.allowedValue === "string" ? params.allowedValue : undefined,
      });
    case "enum": {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const suggestion = typeof e.data === "string" ? closest(e.data, allowed) : undefined;
      return makeDiagnostic(src, code, `${field} must be one of: ${allowed.join(", ")}`, path, {
        suggestion,
      });
    }
    case "pattern": {
      const isLabel = /\$defs\/id\/|metadata\/properties\/name\//.test(e.schemaPath);
      const isUses = e.schemaPath.includes("$defs/uses/");
      const message = isLabel
        ? `${field} ${LABEL_HINT}`
        : isUses
          ? `${field}: ${(typeof e.data === "string" ? usesProblem(e.data) : undefined) ?? CAPABILITY_NAME_MESSAGE}`
          : `${field} ${e.message ?? "does not match its pattern"}`;
      return makeDiagnostic(src, code, message, path);
    }
    default:
      return makeDiagnostic(src, code, `${field} ${e.message ?? "is invalid"}`, path);
  }
}
