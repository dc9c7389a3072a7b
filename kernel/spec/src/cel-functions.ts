import { assignable, type CelPrimitive, type CelT, isDyn, isPrim, join, T, typeName } from "./cel-types.js";

const NUMERIC: CelPrimitive[] = ["int", "uint", "double"];
const ORDERED: CelPrimitive[] = ["int", "uint", "double", "string", "bytes", "bool", "timestamp", "duration"];
const TIME_ACCESSORS = new Set([
  "getFullYear",
  "getMonth",
  "getDate",
  "getDayOfMonth",
  "getDayOfWeek",
  "getDayOfYear",
  "getHours",
  "getMinutes",
  "getSeconds",
  "getMilliseconds",
]);
const CONVERSIONS: Readonly<Record<string, [CelT, CelPrimitive[]]>> = {
  int: [T.int, ["int", "uint", "double", "string", "timestamp"]],
  uint: [T.uint, ["int", "uint", "double", "string"]],
  double: [T.double, ["int", "uint", "double", "string"]],
  string: [T.string, ["int", "uint", "double", "string", "bytes", "bool", "timestamp", "duration"]],
  bool: [T.bool, ["bool", "string"]],
  bytes: [T.bytes, ["bytes", "string"]],
  timestamp: [T.timestamp, ["timestamp", "string", "int"]],
  duration: [T.duration, ["duration", "string"]],
};

const OPERATOR_NAMES: Readonly<Record<string, string>> = {
  "_==_": "==",
  "_!=_": "!=",
  "_<_": "<",
  "_<=_": "<=",
  "_>_": ">",
  "_>=_": ">=",
  "_+_": "+",
  "_-_": "-",
  "_*_": "*",
  "_/_": "/",
  "_%_": "%",
  "_&&_": "&&",
  "_||_": "||",
  "!_": "!",
  "-_": "-",
  "_[_]": "[]",
  "@in": "in",
  "_?_:_": "?:",
};

function noOverload(fn: string, args: readonly CelT[]): string {
  const name = OPERATOR_NAMES[fn] ?? fn;
  return `no matching overload for '${name}' applied to (${args.map(typeName).join(", ")})`;
}

const is = (t: CelT | undefined, ...names: CelPrimitive[]): boolean => t !== undefined && isPrim(t, ...names);
const dynOr = (t: CelT | undefined, ...names: CelPrimitive[]): boolean =>
  t !== undefined && (isDyn(t) || isPrim(t, ...names));

/**
 * Result type of a CEL call (operator, function or method) of the standard library, or an error message
 * when no overload matches. `target` is the receiver of a method call.
 */
export function callType(fn: string, target: CelT | undefined, args: readonly CelT[]): CelT | string {
  const [a, b, c] = args;
  if (target !== undefined) return methodType(fn, target, args);
  switch (fn) {
    case "_==_":
    case "_!=_":
      return a && b && assignable(a, b) ? T.bool : noOverload(fn, args);
    case "_<_":
    case "_<=_":
    case "_>_":
    case "_>=_":
      return a && b && assignable(a, b) && dynOr(a, ...ORDERED) && dynOr(b, ...ORDERED)
        ? T.bool
        : noOverload(fn, args);
    case "_&&_":
    case "_||_":
      return dynOr(a, "bool") && dynOr(b, "bool") ? T.bool : noOverload(fn, args);
    case "!_":
    case "@not_strictly_false":
      return dynOr(a, "bool") ? T.bool : noOverload(fn, args);
    case "-_":
      return dynOr(a, "int", "double", "duration") ? a! : noOverload(fn, args);
    case "_?_:_":
      if (!dynOr(a, "bool")) return `condition of '?:' must be a bool, not ${typeName(a!)}`;
      return b && c && assignable(b, c) ? join(b, c) : noOverload(fn, args);
    case "_[_]":
      return indexType(a!, b!) ?? noOverload(fn, args);
    case "@in":
      return inType(a!, b!) ? T.bool : noOverload(fn, args);
    case "_+_":
    case "_-_":
    case "_*_":
    case "_/_":
    case "_%_":
      return arithmeticType(fn, a!, b!) ?? noOverload(fn, args);
    case "size":
      return args.length === 1 && sizeable(a!) ? T.int : noOverload(fn, args);
    case "dyn":
      return args.length === 1 ? T.dyn : noOverload(fn, args);
    case "type":
      return args.length === 1 ? T.type : noOverload(fn, args);
    default: {
      const conversion = CONVERSIONS[fn];
      if (!conversion) return `undeclared function '${fn}'`;
      return args.length === 1 && dynOr(a, ...conversion[1]) ? conversion[0] : noOverload(fn, args);
    }
  }
}

function methodType(fn: string, target: CelT, args: readonly CelT[]): CelT | string {
  const all = [target, ...args];
  if (fn === "size") return args.length === 0 && sizeable(target) ? T.int : noOverload(fn, all);
  if (["contains", "startsWith", "endsWith", "matches"].includes(fn)) {
    return dynOr(target, "string") && args.length === 1 && dynOr(args[0], "string")
      ? T.bool
      : noOverload(fn, all);
  }
  if (TIME_ACCESSORS.has(fn)) {
    const tzOk = args.length === 0 || (args.length === 1 && dynOr(args[0], "string"));
    return dynOr(target, "timestamp", "duration") && tzOk ? T.int : noOverload(fn, all);
  }
  return `undeclared method '${fn}' on ${typeName(target)}`;
}

function sizeable(t: CelT): boolean {
  return isDyn(t) || is(t, "string", "bytes") || t.kind === "list" || t.kind === "map";
}

function indexType(container: CelT, key: CelT): CelT | undefined {
  if (isDyn(container)) return T.dyn;
  if (container.kind === "list") return dynOr(key, "int", "uint") ? container.elem : undefined;
  if (container.kind === "map") return assignable(container.key, key) ? container.value : undefined;
  if (container.kind === "object") return dynOr(key, "string") ? T.dyn : undefined;
  return undefined;
}

function inType(element: CelT, container: CelT): boolean {
  if (isDyn(container)) return true;
  if (container.kind === "list") return assignable(element, container.elem);
  if (container.kind === "map") return assignable(element, container.key);
  return false;
}

function arithmeticType(fn: string, a: CelT, b: CelT): CelT | undefined {
  if (isDyn(a) || isDyn(b)) return T.dyn;
  const same = assignable(a, b);
  switch (fn) {
    case "_+_":
      if (same && (is(a, ...NUMERIC, "string", "bytes", "duration") || a.kind === "list")) return join(a, b);
      if ((is(a, "timestamp") && is(b, "duration")) || (is(a, "duration") && is(b, "timestamp")))
        return T.timestamp;
      return undefined;
    case "_-_":
      if (same && is(a, ...NUMERIC, "duration")) return a;
      if (is(a, "timestamp") && is(b, "timestamp")) return T.duration;
      if (is(a, "timestamp") && is(b, "duration")) return T.timestamp;
      return undefined;
    case "_%_":
      return same && is(a, "int", "uint") ? a : undefined;
    default:
      return same && is(a, ...NUMERIC) ? a : undefined;
  }
}
