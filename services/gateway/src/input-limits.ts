import { validationFailed } from "@latchflow/runtime";

/** Deepest nesting of objects and arrays a request body may have (a pipeline document needs ~10). */
export const MAX_INPUT_DEPTH = 64;

const NUL = "\u0000";

/** Refuses a string holding a NUL character (no database column takes one): 422 naming the field. */
export function refuseNul(value: string, part: string, path: string): void {
  if (value.includes(NUL)) throw nulFound(part, path);
}

function nulFound(part: string, path: string) {
  return validationFailed(`Invalid request ${part}`, {
    part,
    issues: [{ path, message: "must not contain a NUL character (\\u0000)" }],
  });
}

/**
 * Walks a parsed request part (body, query or path parameters) before any schema sees it: every string and
 * key must be free of NUL characters, and objects and arrays nest at most {@link MAX_INPUT_DEPTH} levels.
 * Iterative, so a hostile depth cannot overflow the stack. Failures are 422 `validation_failed`.
 */
export function checkInput(value: unknown, part: string): void {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: "", depth: 0 }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { v, path, depth } = item;
    if (typeof v === "string") {
      if (v.includes(NUL)) throw nulFound(part, path);
      continue;
    }
    if (typeof v !== "object" || v === null) continue;
    if (depth >= MAX_INPUT_DEPTH) {
      throw validationFailed(`Invalid request ${part}`, {
        part,
        issues: [{ path, message: `nests deeper than ${MAX_INPUT_DEPTH} levels` }],
      });
    }
    for (const [k, child] of Object.entries(v)) {
      const at = path ? `${path}.${k}` : k;
      if (k.includes(NUL)) throw nulFound(part, path);
      stack.push({ v: child, path: at, depth: depth + 1 });
    }
  }
}
