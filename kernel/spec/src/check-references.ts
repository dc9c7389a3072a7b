import type { ReferenceResolver } from "./capability.js";
import { DiagnosticCode } from "./codes.js";
import type { Diagnostic } from "./diagnostic.js";
import type { PipelineDocument } from "./pipeline-document.js";
import { makeDiagnostic, type Path, type SourceMap } from "./source-map.js";

interface Reference {
  kind: "bundle" | "recipient";
  name: string;
  path: Path;
}

function collect(pipeline: PipelineDocument): Reference[] {
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
  return refs;
}

/**
 * Steps' `with.bundle` and `with.recipients[]` exist, asked once per distinct name through the resolver.
 * A resolver failure becomes a `reference_unavailable` warning rather than an error.
 */
export async function checkReferences(
  src: SourceMap,
  pipeline: PipelineDocument,
  resolver: ReferenceResolver,
): Promise<Diagnostic[]> {
  const refs = collect(pipeline);
  const answers = new Map<string, Promise<boolean | Error>>();
  const ask = (ref: Reference): Promise<boolean | Error> => {
    const key = `${ref.kind}\u0000${ref.name}`;
    let answer = answers.get(key);
    if (!answer) {
      const call =
        ref.kind === "bundle" ? resolver.bundleExists(ref.name) : resolver.recipientExists(ref.name);
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
    } else if (result === false) {
      const code = ref.kind === "bundle" ? DiagnosticCode.UnknownBundle : DiagnosticCode.UnknownRecipient;
      out.push(makeDiagnostic(src, code, `${ref.kind} '${ref.name}' does not exist`, ref.path));
    }
  });
  return out;
}
