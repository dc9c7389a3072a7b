import { parse } from "@bufbuild/cel";
import { callType } from "./cel-functions.js";
import {
  assignable,
  type CelT,
  isDyn,
  isPrim,
  join,
  STEP_RESULT_TYPE,
  T,
  TRIGGER_TYPE,
  typeName,
} from "./cel-types.js";
import { DiagnosticCode } from "./codes.js";

type ParsedExpr = ReturnType<typeof parse>;
type Expr = ParsedExpr["expr"];
type Kind<C extends string> = Extract<Expr["exprKind"], { case: C }>["value"];

/** A problem in one condition; offsets are into the expression text (end exclusive). */
export interface ConditionIssue {
  code:
    | typeof DiagnosticCode.CelSyntax
    | typeof DiagnosticCode.CelType
    | typeof DiagnosticCode.UnknownStepReference;
  message: string;
  start: number;
  end: number;
}

/** Which steps a condition may refer to. */
export interface ConditionContext {
  /** Id of the step carrying the condition. */
  stepId: string;
  /** Ids of the steps listed before it (the only ones `steps.<id>` may name). */
  earlierSteps: ReadonlySet<string>;
  /** Ids of all steps, for clearer messages. */
  allSteps: ReadonlySet<string>;
}

const STEPS_TYPE = T.map(T.string, STEP_RESULT_TYPE);
const GLOBALS: Readonly<Record<string, CelT>> = { trigger: TRIGGER_TYPE, steps: STEPS_TYPE };

/**
 * Parses a step's `if:` with @bufbuild/cel and type-checks it against the pipeline environment
 * (`trigger`, `steps`). The type checker is our own: @bufbuild/cel 0.6.1 does not export one (its
 * internal checker handles only constants and identifiers). Never throws.
 */
export function checkCondition(expression: string, ctx: ConditionContext): ConditionIssue[] {
  let parsed: ParsedExpr;
  try {
    parsed = parse(expression);
  } catch (err) {
    return [syntaxIssue(expression, err)];
  }
  const checker = new ConditionChecker(expression, parsed, ctx);
  const type = checker.check(parsed.expr);
  if (!checker.issues.length && !isDyn(type) && !isPrim(type, "bool")) {
    checker.report(DiagnosticCode.CelType, `condition must be a bool, not ${typeName(type)}`, parsed.expr);
  }
  return checker.issues;
}

function syntaxIssue(expression: string, err: unknown): ConditionIssue {
  const e = err as { rawMessage?: unknown; message?: unknown; location?: { start?: { offset?: number } } };
  const start = Math.min(e.location?.start?.offset ?? 0, expression.length);
  const raw = typeof e.rawMessage === "string" ? e.rawMessage : String(e.message ?? err);
  return {
    code: DiagnosticCode.CelSyntax,
    message: `invalid CEL: ${raw}`,
    start,
    end: Math.min(start + 1, expression.length),
  };
}

const TOKEN =
  /^(?:"""[\s\S]*?"""|'''[\s\S]*?'''|[rRbB]{0,2}"(?:[^"\\]|\\.)*"|[rRbB]{0,2}'(?:[^'\\]|\\.)*'|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[uU]?|\.?\s*[A-Za-z_][A-Za-z0-9_]*|==|!=|<=|>=|&&|\|\||[\s\S])/;

class ConditionChecker {
  readonly issues: ConditionIssue[] = [];
  private scopes: Record<string, CelT>[] = [];

  constructor(
    private readonly source: string,
    private readonly parsed: ParsedExpr,
    private readonly ctx: ConditionContext,
  ) {}

  report(code: ConditionIssue["code"], message: string, expr: Expr): void {
    const [start, end] = this.span(expr);
    this.issues.push({ code, message, start, end });
  }

  check(expr: Expr | undefined): CelT {
    if (!expr) return T.dyn;
    const k = expr.exprKind;
    switch (k.case) {
      case "constExpr":
        return constType(k.value);
      case "identExpr":
        return this.ident(expr, k.value.name);
      case "selectExpr":
        return this.select(expr, k.value);
      case "callExpr":
        return this.call(expr, k.value);
      case "listExpr":
        return T.list(k.value.elements.map((e) => this.check(e)).reduce(join, T.dyn));
      case "structExpr":
        return this.struct(expr, k.value);
      case "comprehensionExpr":
        return this.comprehension(k.value);
      default:
        return T.dyn;
    }
  }

  private lookup(name: string): CelT | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const t = this.scopes[i]![name];
      if (t) return t;
    }
    return GLOBALS[name];
  }

  private ident(expr: Expr, name: string): CelT {
    const t = this.lookup(name);
    if (t) return t;
    this.report(DiagnosticCode.CelType, `undeclared reference to '${name}' (known: trigger, steps)`, expr);
    return T.dyn;
  }

  private isStepsIdent(expr: Expr | undefined): boolean {
    return (
      expr?.exprKind.case === "identExpr" &&
      expr.exprKind.value.name === "steps" &&
      !this.scopes.some((s) => "steps" in s)
    );
  }

  /** Reports `steps.<id>` naming a step that does not run before the current one. */
  private stepReference(expr: Expr, id: string): void {
    if (this.ctx.earlierSteps.has(id)) return;
    const why =
      id === this.ctx.stepId
        ? "is this step itself"
        : this.ctx.allSteps.has(id)
          ? `runs after step '${this.ctx.stepId}'`
          : "does not exist";
    this.report(
      DiagnosticCode.UnknownStepReference,
      `condition refers to step '${id}', which ${why}; only earlier steps can be referenced`,
      expr,
    );
  }

  private select(expr: Expr, sel: Kind<"selectExpr">): CelT {
    const operand = this.check(sel.operand);
    let result: CelT;
    if (this.isStepsIdent(sel.operand)) {
      this.stepReference(expr, sel.field);
      result = STEP_RESULT_TYPE;
    } else if (operand.kind === "object") {
      const field = operand.fields[sel.field];
      if (!field) {
        const known = Object.keys(operand.fields).join(", ");
        this.report(
          DiagnosticCode.CelType,
          `${operand.name} has no field '${sel.field}' (known: ${known})`,
          expr,
        );
      }
      result = field ?? T.dyn;
    } else if (operand.kind === "map" && assignable(operand.key, T.string)) {
      result = operand.value;
    } else if (isDyn(operand)) {
      result = T.dyn;
    } else {
      this.report(DiagnosticCode.CelType, `type '${typeName(operand)}' has no field '${sel.field}'`, expr);
      result = T.dyn;
    }
    return sel.testOnly ? T.bool : result;
  }

  private call(expr: Expr, call: Kind<"callExpr">): CelT {
    const [first, second] = call.args;
    if (call.function === "_[_]" && !call.target && this.isStepsIdent(first)) {
      const key = second?.exprKind.case === "constExpr" ? second.exprKind.value.constantKind : undefined;
      if (key?.case === "stringValue") this.stepReference(expr, key.value);
    }
    const target = call.target ? this.check(call.target) : undefined;
    const args = call.args.map((a) => this.check(a));
    if (args.some((a) => a === undefined)) return T.dyn;
    const outcome = callType(call.function, target, args);
    if (typeof outcome === "string") {
      this.report(DiagnosticCode.CelType, outcome, expr);
      return T.dyn;
    }
    return outcome;
  }

  private struct(expr: Expr, s: Kind<"structExpr">): CelT {
    if (s.messageName) {
      this.report(DiagnosticCode.CelType, `message type '${s.messageName}' is not available`, expr);
      return T.dyn;
    }
    let key: CelT = T.dyn;
    let value: CelT = T.dyn;
    for (const entry of s.entries) {
      if (entry.keyKind.case === "mapKey") key = join(key, this.check(entry.keyKind.value));
      value = join(value, this.check(entry.value));
    }
    return T.map(key, value);
  }

  private comprehension(c: Kind<"comprehensionExpr">): CelT {
    const range = this.check(c.iterRange);
    const iterType = range.kind === "list" ? range.elem : range.kind === "map" ? range.key : T.dyn;
    const accuInit = this.check(c.accuInit);
    this.scopes.push({ [c.iterVar]: iterType, [c.accuVar]: accuInit });
    if (c.iterVar2) this.scopes[this.scopes.length - 1]![c.iterVar2] = T.dyn;
    this.check(c.loopCondition);
    const step = this.check(c.loopStep);
    this.scopes[this.scopes.length - 1]![c.accuVar] = join(accuInit, step);
    const result = this.check(c.result);
    this.scopes.pop();
    return result;
  }

  /** Offsets covered by an expression: from its leftmost token to the end of its rightmost one. */
  private span(expr: Expr): [number, number] {
    let start = Number.POSITIVE_INFINITY;
    let end = 0;
    const visit = (e: Expr | undefined): void => {
      if (!e) return;
      const pos = this.parsed.sourceInfo?.positions[String(e.id)];
      if (pos !== undefined && e.exprKind.case !== "comprehensionExpr") {
        start = Math.min(start, pos);
        end = Math.max(end, pos + (TOKEN.exec(this.source.slice(pos))?.[0].length ?? 1));
      }
      for (const child of children(e)) visit(child);
    };
    visit(expr);
    if (start === Number.POSITIVE_INFINITY) return [0, this.source.length];
    return [start, Math.min(Math.max(end, start + 1), this.source.length)];
  }
}

function children(e: Expr): (Expr | undefined)[] {
  const k = e.exprKind;
  switch (k.case) {
    case "selectExpr":
      return [k.value.operand];
    case "callExpr":
      return [k.value.target, ...k.value.args];
    case "listExpr":
      return k.value.elements;
    case "structExpr":
      return k.value.entries.flatMap((en) => [
        en.keyKind.case === "mapKey" ? en.keyKind.value : undefined,
        en.value,
      ]);
    case "comprehensionExpr":
      return [k.value.iterRange];
    default:
      return [];
  }
}

function constType(c: Kind<"constExpr">): CelT {
  switch (c.constantKind.case) {
    case "boolValue":
      return T.bool;
    case "int64Value":
      return T.int;
    case "uint64Value":
      return T.uint;
    case "doubleValue":
      return T.double;
    case "stringValue":
      return T.string;
    case "bytesValue":
      return T.bytes;
    case "nullValue":
      return T.null;
    case "durationValue":
      return T.duration;
    case "timestampValue":
      return T.timestamp;
    default:
      return T.dyn;
  }
}
