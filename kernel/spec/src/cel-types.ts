/** Primitive CEL type names the condition checker knows. */
export type CelPrimitive =
  | "bool"
  | "int"
  | "uint"
  | "double"
  | "string"
  | "bytes"
  | "null_type"
  | "timestamp"
  | "duration"
  | "type";

/** A CEL type as seen by the condition checker. */
export type CelT =
  | { kind: "prim"; name: CelPrimitive }
  | { kind: "dyn" }
  | { kind: "list"; elem: CelT }
  | { kind: "map"; key: CelT; value: CelT }
  | { kind: "object"; name: string; fields: Readonly<Record<string, CelT>> };

const prim = (name: CelPrimitive): CelT => ({ kind: "prim", name });

/** Shorthands for the types used by the checker. */
export const T = {
  bool: prim("bool"),
  int: prim("int"),
  uint: prim("uint"),
  double: prim("double"),
  string: prim("string"),
  bytes: prim("bytes"),
  null: prim("null_type"),
  timestamp: prim("timestamp"),
  duration: prim("duration"),
  type: prim("type"),
  dyn: { kind: "dyn" } as CelT,
  list: (elem: CelT): CelT => ({ kind: "list", elem }),
  map: (key: CelT, value: CelT): CelT => ({ kind: "map", key, value }),
} as const;

/** `trigger`: what fired the run. */
export const TRIGGER_TYPE: CelT = {
  kind: "object",
  name: "trigger",
  fields: { id: T.string, uses: T.string, kind: T.string, payload: T.dyn, firedAt: T.timestamp },
};

/** `steps.<id>`: an earlier step's result. */
export const STEP_RESULT_TYPE: CelT = {
  kind: "object",
  name: "step",
  fields: { outputs: T.dyn, outcome: T.string },
};

/** Display form of a type, as in CEL error messages: `map(string, dyn)`. */
export function typeName(t: CelT): string {
  switch (t.kind) {
    case "prim":
      return t.name;
    case "dyn":
      return "dyn";
    case "list":
      return `list(${typeName(t.elem)})`;
    case "map":
      return `map(${typeName(t.key)}, ${typeName(t.value)})`;
    case "object":
      return t.name;
  }
}

/** True when `t` is `dyn` (anything goes at check time). */
export function isDyn(t: CelT): boolean {
  return t.kind === "dyn";
}

/** True when the two types are the same, or either is `dyn` (recursively for lists and maps). */
export function assignable(a: CelT, b: CelT): boolean {
  if (a.kind === "dyn" || b.kind === "dyn") return true;
  if (a.kind === "prim" && b.kind === "prim") return a.name === b.name;
  if (a.kind === "list" && b.kind === "list") return assignable(a.elem, b.elem);
  if (a.kind === "map" && b.kind === "map") return assignable(a.key, b.key) && assignable(a.value, b.value);
  if (a.kind === "object" && b.kind === "object") return a.name === b.name;
  return false;
}

/** The common type of two assignable types (the more specific one), else `dyn`. */
export function join(a: CelT, b: CelT): CelT {
  if (isDyn(a)) return b;
  if (isDyn(b)) return a;
  return assignable(a, b) ? a : T.dyn;
}

/** True when `t` is one of the primitive types named. */
export function isPrim(t: CelT, ...names: CelPrimitive[]): boolean {
  return t.kind === "prim" && names.includes(t.name);
}
