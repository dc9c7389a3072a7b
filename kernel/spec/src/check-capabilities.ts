import type { ValidateFunction } from "ajv";
import { type Ajv, createAjv } from "./ajv.js";
import { ajvDiagnostics } from "./ajv-diagnostics.js";
import type { CapabilityCatalog, CapabilityKind } from "./capability.js";
import { DiagnosticCode } from "./codes.js";
import type { Diagnostic } from "./diagnostic.js";
import { closest } from "./edit-distance.js";
import type { PipelineDocument } from "./pipeline-document.js";
import { makeDiagnostic, type Path, type SourceMap } from "./source-map.js";
import { parseUses } from "./uses.js";

interface CatalogCache {
  ajv: Ajv;
  validators: Map<string, ValidateFunction | Error>;
}

/** One Ajv per catalog object, dropped with it. */
const caches = new WeakMap<CapabilityCatalog, CatalogCache>();

function validatorFor(catalog: CapabilityCatalog, uses: string): ValidateFunction | Error {
  let cache = caches.get(catalog);
  if (!cache) {
    cache = { ajv: createAjv(), validators: new Map() };
    caches.set(catalog, cache);
  }
  let v = cache.validators.get(uses);
  if (!v) {
    try {
      v = cache.ajv.compile(catalog[uses]!.configSchema);
    } catch (err) {
      v = err instanceof Error ? err : new Error(String(err));
    }
    cache.validators.set(uses, v);
  }
  return v;
}

/** Installed majors of `key` for `kind`, ascending. */
function majorsOf(catalog: CapabilityCatalog, key: string, kind: CapabilityKind): number[] {
  const majors: number[] = [];
  for (const [uses, cap] of Object.entries(catalog)) {
    const p = parseUses(uses);
    if (p.ok && p.value.key === key && cap.kind === kind) majors.push(p.value.major);
  }
  return majors.sort((a, b) => a - b);
}

function unknownCapability(
  src: SourceMap,
  catalog: CapabilityCatalog,
  uses: string,
  kind: CapabilityKind,
  path: Path,
): Diagnostic {
  const parsed = parseUses(uses);
  const what = kind === "trigger" ? "trigger" : "action";
  if (!parsed.ok) return makeDiagnostic(src, DiagnosticCode.UnknownCapability, parsed.message, path);
  const majors = majorsOf(catalog, parsed.value.key, kind);
  if (majors.length) {
    const suggestion = `${parsed.value.key}@${majors.at(-1)}`;
    return makeDiagnostic(
      src,
      DiagnosticCode.UnknownCapability,
      `${what} '${uses}' is not installed (installed majors of '${parsed.value.key}': ${majors.join(", ")}); did you mean '${suggestion}'?`,
      path,
      { suggestion },
    );
  }
  const keys = new Set<string>();
  for (const [u, cap] of Object.entries(catalog)) {
    const p = parseUses(u);
    if (p.ok && cap.kind === kind) keys.add(p.value.key);
  }
  const key = closest(parsed.value.key, keys);
  let suggestion: string | undefined;
  if (key) {
    const candidates = majorsOf(catalog, key, kind);
    suggestion = `${key}@${candidates.includes(parsed.value.major) ? parsed.value.major : candidates.at(-1)}`;
  }
  const hint = suggestion ? `; did you mean '${suggestion}'?` : "";
  return makeDiagnostic(src, DiagnosticCode.UnknownCapability, `unknown ${what} '${uses}'${hint}`, path, {
    suggestion,
  });
}

/**
 * Every `uses` names an installed capability of the right kind, and every `with:` matches that
 * capability's config schema (durations in it included).
 */
export function checkCapabilities(
  src: SourceMap,
  pipeline: PipelineDocument,
  catalog: CapabilityCatalog,
  disabled: CapabilityCatalog = {},
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const items = [
    ...pipeline.spec.triggers.map((item, i) => ({
      item,
      kind: "trigger" as const,
      path: ["spec", "triggers", i],
    })),
    ...pipeline.spec.steps.map((item, i) => ({ item, kind: "action" as const, path: ["spec", "steps", i] })),
  ];
  for (const { item, kind, path } of items) {
    const usesPath = [...path, "uses"];
    const enabled = Object.hasOwn(catalog, item.uses);
    const source = enabled ? catalog : disabled;
    const cap = Object.hasOwn(source, item.uses) ? source[item.uses] : undefined;
    if (!cap) {
      out.push(unknownCapability(src, catalog, item.uses, kind, usesPath));
      continue;
    }
    if (!enabled) {
      const what = cap.kind === "trigger" ? "trigger" : "action";
      out.push(
        makeDiagnostic(
          src,
          DiagnosticCode.CapabilityDisabled,
          `${what} '${item.uses}' is installed but disabled; an admin enables it on the plugin's page (PATCH /api/v1/plugins/{name})`,
          usesPath,
        ),
      );
    }
    if (cap.kind !== kind) {
      const place = kind === "trigger" ? "under triggers" : "under steps";
      out.push(
        makeDiagnostic(
          src,
          DiagnosticCode.WrongCapabilityKind,
          `'${item.uses}' is ${cap.kind === "trigger" ? "a trigger" : "an action"} and cannot be used ${place}`,
          usesPath,
        ),
      );
      continue;
    }
    const validate = validatorFor(source, item.uses);
    if (validate instanceof Error) {
      const message = `the config schema of '${item.uses}' cannot be compiled: ${validate.message}`;
      out.push(makeDiagnostic(src, DiagnosticCode.ConfigSchema, message, usesPath));
      continue;
    }
    if (!validate(item.with ?? {})) {
      out.push(...ajvDiagnostics(src, validate.errors, [...path, "with"], DiagnosticCode.ConfigSchema));
    }
  }
  return out;
}
