import type { CapabilityCatalog, JsonSchema, ReferenceResolver } from "./capability.js";
import { DiagnosticCode } from "./codes.js";
import type { Diagnostic } from "./diagnostic.js";
import type { PipelineDocument } from "./pipeline-document.js";
import { SECRET_NAME_FORMAT } from "./secret-name.js";
import { makeDiagnostic, type Path, type SourceMap } from "./source-map.js";

interface Reference {
  kind: "bundle" | "recipient" | "secret";
  name: string;
  path: Path;
  /** secrets: the `uses` whose plugin holds it; "trigger" or "step" for the message */
  uses?: string;
  item?: "trigger" | "step";
}

/**
 * The values of `config` that name a secret: those whose schema (through `properties`, also nested objects)
 * says `format: "secret-name"`, with their path below `with`.
 */
export function secretReferences(
  config: unknown,
  schema: JsonSchema | undefined,
  path: Path = [],
): { name: string; path: Path }[] {
  if (!schema || typeof config !== "object" || config === null || Array.isArray(config)) return [];
  const props = schema.properties;
  if (!props || typeof props !== "object") return [];
  const out: { name: string; path: Path }[] = [];
  for (const [key, sub] of Object.entries(props as Record<string, JsonSchema>)) {
    if (!Object.hasOwn(config, key)) continue;
    const value = (config as Record<string, unknown>)[key];
    if (sub?.format === SECRET_NAME_FORMAT && typeof value === "string")
      out.push({ name: value, path: [...path, key] });
    else out.push(...secretReferences(value, sub, [...path, key]));
  }
  return out;
}

function collect(pipeline: PipelineDocument, catalog: CapabilityCatalog | undefined): Reference[] {
  const refs: Reference[] = [];
  pipeline.spec.steps.forEach((step, i) => {
    const w = step.with ?? {};
    if (typeof w.bundle === "string")
      refs.push({ kind: "bundle", name: w.bundle, path: ["spec", "steps", i, "with", "bundle"] });
    if (Array.isArray(w.recipients)) {
      w.recipients.forEach((r, j) => {
        if (typeof r === "string")
          refs.push({ kind: "recipient", name: r, path: ["spec", "steps", i, "with", "recipients", j] });
      });
    }
  });
  if (catalog) {
    const items = [
      ...pipeline.spec.triggers.map((t, i) => ({ t, section: "triggers", item: "trigger" as const, i })),
      ...pipeline.spec.steps.map((t, i) => ({ t, section: "steps", item: "step" as const, i })),
    ];
    for (const { t, section, item, i } of items) {
      const cap = Object.hasOwn(catalog, t.uses) ? catalog[t.uses] : undefined;
      for (const s of secretReferences(t.with, cap?.configSchema)) {
        refs.push({
          kind: "secret",
          name: s.name,
          path: ["spec", section, i, "with", ...s.path],
          uses: t.uses,
          item,
        });
      }
    }
  }
  return refs;
}

/**
 * Steps' `with.bundle` and `with.recipients[]` exist, and (with a catalog and a resolver that can tell) every
 * secret a trigger's or step's `with:` names is set for its capability's plugin; each asked once per distinct
 * name through the resolver. A resolver failure becomes a `reference_unavailable` warning rather than an error;
 * a secret not set is a warning too (it can be set after the pipeline is saved, before it runs).
 */
export async function checkReferences(
  src: SourceMap,
  pipeline: PipelineDocument,
  resolver: ReferenceResolver,
  catalog?: CapabilityCatalog,
): Promise<Diagnostic[]> {
  const refs = collect(pipeline, resolver.secretExists ? catalog : undefined);
  const answers = new Map<string, Promise<boolean | Error>>();
  const ask = (ref: Reference): Promise<boolean | Error> => {
    const key = `${ref.kind}\u0000${ref.uses ?? ""}\u0000${ref.name}`;
    let answer = answers.get(key);
    if (!answer) {
      const call =
        ref.kind === "bundle"
          ? resolver.bundleExists(ref.name)
          : ref.kind === "recipient"
            ? resolver.recipientExists(ref.name)
            : resolver.secretExists!(ref.uses!, ref.name);
      answer = Promise.resolve(call).catch((err: unknown) =>
        err instanceof Error ? err : new Error(String(err)),
      );
      answers.set(key, answer);
    }
    return answer;
  };
  const results = await Promise.all(refs.map(ask));
  const out: Diagnostic[] = [];
  refs.forEach((ref, i) => {
    const result = results[i];
    if (result instanceof Error) {
      const message = `could not check ${ref.kind} '${ref.name}': ${result.message}`;
      out.push(
        makeDiagnostic(src, DiagnosticCode.ReferenceUnavailable, message, ref.path, { severity: "warning" }),
      );
    } else if (result === false && ref.kind === "secret") {
      out.push(
        makeDiagnostic(
          src,
          DiagnosticCode.UnknownSecret,
          `secret '${ref.name}' is not set for ${ref.uses}: the ${ref.item} fails until an admin sets it`,
          ref.path,
          { severity: "warning" },
        ),
      );
    } else if (result === false) {
      const code = ref.kind === "bundle" ? DiagnosticCode.UnknownBundle : DiagnosticCode.UnknownRecipient;
      out.push(makeDiagnostic(src, code, `${ref.kind} '${ref.name}' does not exist`, ref.path));
    }
  });
  return out;
}
