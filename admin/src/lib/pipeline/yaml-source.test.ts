// The YAML round trip of the pipeline builder (ADR 030) on every pipeline example in the docs, every fixture and
// every pipeline the spec's tests use, plus hand-made hard cases: an edit of one part leaves every other byte as it
// was and every comment in place; an edit that changes nothing changes no byte.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { Lexer } from "yaml";
import { diffLines, splitLines } from "../line-diff.js";
import {
  applyEdit,
  applyEdits,
  type Edit,
  type Path,
  parseYaml,
  plainValue,
  valueAt,
  type YamlSource,
} from "./yaml-source.js";

const ROOT = resolve(import.meta.dirname, "../../../..");
const SKIP = new Set(["node_modules", ".git", "build", ".svelte-kit", "artifacts", "dist"]);

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name) || name.startsWith(".build")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

const isPipeline = (text: string) =>
  /^kind: Pipeline\s*$/m.test(text) && /^apiVersion: latchflow\.dev\/v1/m.test(text);

/** Every pipeline written down in the repository: fenced YAML in Markdown, fixture files, the spec's test texts. */
function examples(): { name: string; text: string }[] {
  const files = walk(ROOT).filter((f) => !f.includes(`${join("admin", "src", "lib", "pipeline")}`));
  const out: { name: string; text: string }[] = [];
  for (const file of files) {
    const rel = relative(ROOT, file);
    if (file.endsWith(".md")) {
      const md = readFileSync(file, "utf8");
      let n = 0;
      for (const m of md.matchAll(/^```ya?ml\r?\n([\s\S]*?)^```/gm)) {
        if (isPipeline(m[1] as string)) out.push({ name: `${rel} (block ${++n})`, text: m[1] as string });
      }
    } else if (/fixtures\/.*\.ya?ml$/.test(rel.replaceAll("\\", "/"))) {
      const text = readFileSync(file, "utf8");
      if (isPipeline(text)) out.push({ name: rel, text });
    } else if (/^kernel\/spec\/src\/.*\.test\.ts$/.test(rel.replaceAll("\\", "/"))) {
      let n = 0;
      for (const m of readFileSync(file, "utf8").matchAll(/`(apiVersion: latchflow\.dev\/v1\n[^`]*)`/g)) {
        const text = m[1] as string;
        if (!text.includes("${") && !text.includes("\\") && isPipeline(text))
          out.push({ name: `${rel} (text ${++n})`, text });
      }
    }
  }
  return out;
}

/** Hand-made texts with what the examples may lack: comments everywhere, gaps, block scalars, CRLF, no final EOL. */
const HARD: { name: string; text: string }[] = [
  {
    name: "comments, gaps and block scalars",
    text: `# Release the archive when I stop checking in.
# Second header line.

apiVersion: latchflow.dev/v1   # the only version
kind: Pipeline
metadata:
  name: hard-case
  description: "Quoted, with a: colon"
spec:
  # the switch
  triggers:
    - id: switch
      uses: deadman@1
      with:
        checkInEvery: 30d   # a month
        remind:
          - 7d
          - 1d

  steps:
    # first, the guardian
    - id: tell-guardian
      uses: email@1
      with:
        to:
          - guardian@example.com   # my sister
        subject: 'Release pending'
        text: |
          Hello,

          the archive will be released.
        # no html for now

    # then the release itself
    - id: release
      uses: grant@1
      if: >-
        trigger.kind == "fired"
      with: { bundle: family-archive, recipients: [alice@example.com] }

    - id: tell   # last
      uses: email@1
      with:
        to: [alice@example.com]
        subject: Your archive
        text: "Done."
# the end
`,
  },
  {
    name: "CRLF line breaks",
    text: "apiVersion: latchflow.dev/v1\r\nkind: Pipeline\r\nmetadata:\r\n  name: crlf # windows\r\nspec:\r\n  triggers:\r\n    - id: go\r\n      uses: manual@1\r\n  steps:\r\n    - id: a\r\n      uses: email@1\r\n      with:\r\n        to: [a@example.com]\r\n        subject: A\r\n        text: a\r\n    - id: b\r\n      uses: email@1\r\n      with:\r\n        to: [b@example.com]\r\n        subject: B\r\n        text: b\r\n",
  },
  {
    name: "no line break at the end, sequences not indented",
    text: `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: {name: compact}
spec:
  triggers:
  - id: go
    uses: manual@1
  steps:
  - id: a
    uses: email@1
    with: {to: [a@example.com], subject: A, text: a}
  - id: b
    uses: email@1
    with: {to: [b@example.com], subject: B, text: b}`,
  },
];

function comments(text: string): string[] {
  return [...new Lexer().lex(text)].filter((t) => t.startsWith("#")).sort();
}

/**
 * The 1-based lines of the step at `path`: from the comment lines directly above it (they go with it when it moves)
 * through the line its content ends on; with `gap`, the blank lines above it too (they go when it is removed).
 */
function span(src: YamlSource, path: Path, gap = false): [number, number] {
  const node = src.doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
  if (!node?.range) throw new Error(`nothing at ${path.join(".")}`);
  const lines = splitLines(src.text);
  let start = src.lineCounter.linePos(node.range[0]).line;
  while (start > 1 && /^\s*#/.test(lines[start - 2] as string)) start--;
  while (gap && start > 1 && /^\s*$/.test(lines[start - 2] as string)) start--;
  let end = node.range[1];
  while (end > 0 && /\s/.test(src.text[end - 1] ?? "")) end--;
  return [start, src.lineCounter.linePos(end).line];
}

/** The lines before `first` and after `last` (1-based, of the old text) are the same in the new text. */
function expectOutsideUnchanged(before: string, after: string, first: number, last: number) {
  const a = splitLines(before);
  const b = splitLines(after);
  const tail = a.length - last;
  expect(b.slice(0, first - 1)).toEqual(a.slice(0, first - 1));
  expect(b.slice(b.length - tail)).toEqual(a.slice(a.length - tail));
  // and byte for byte, line breaks included
  const head = a.slice(0, first - 1).join("");
  expect(after.replaceAll(/\r?\n/g, "").startsWith(head)).toBe(true);
  expect(after.endsWith(before.slice(before.length - endBytes(before, tail)))).toBe(true);
}

/** How many characters the last `lines` lines of a text take (line breaks included). */
function endBytes(text: string, lines: number): number {
  if (lines === 0) return 0;
  let pos = text.length;
  if (text.endsWith("\n")) pos--;
  for (let i = 0; i < lines; i++) pos = text.lastIndexOf("\n", pos - 1);
  return text.length - pos - 1;
}

/** Every comment of `before` (a text, or its comments) is in `after`, as often as it was. */
function expectCommentsKept(before: string | string[], after: string) {
  const kept = comments(after);
  for (const c of typeof before === "string" ? comments(before) : before) {
    const i = kept.indexOf(c);
    expect(i, `comment ${c} is gone`).toBeGreaterThanOrEqual(0);
    kept.splice(i, 1);
  }
}

function edited(src: YamlSource, edit: Edit): YamlSource {
  const next = applyEdit(src, edit);
  expect(next.doc.errors).toEqual([]);
  return next;
}

const steps = (src: YamlSource) =>
  (valueAt(src, ["spec", "steps"]) as Record<string, unknown>[] | undefined) ?? [];

/** A string field of a step's config to change, or a new one to add. */
function configField(step: Record<string, unknown>): string {
  const w = (step.with ?? {}) as Record<string, unknown>;
  return Object.keys(w).find((k) => typeof w[k] === "string") ?? "subject";
}

const ALL = [...examples(), ...HARD];

describe("the examples", () => {
  it("were found: the docs' and the fixtures' pipelines and the spec's test texts", () => {
    const names = ALL.map((e) => e.name);
    expect(names.some((n) => n.startsWith("vscode-extension/test/fixtures/"))).toBe(true);
    expect(names.some((n) => n.startsWith("kernel/spec/src/validate-pipeline.test.ts"))).toBe(true);
    expect(names.length).toBeGreaterThanOrEqual(6);
  });
});

describe.each(ALL)("round trip of $name", ({ text }) => {
  const src = parseYaml(text);
  const parses = src.doc.errors.length === 0;
  const isDocument = parses && valueAt(src, ["spec"]) !== undefined;
  const hasSteps = isDocument && Array.isArray(valueAt(src, ["spec", "steps"])) && steps(src).length > 0;

  it("changes no byte when nothing changes", () => {
    expect(parseYaml(text).text).toBe(text);
    if (!isDocument) return;
    // every value written back as it is, leaf by leaf and whole
    const same = applyEdits(src, [
      { op: "set", path: ["spec"], value: valueAt(src, ["spec"]) },
      ...steps(src).map((s, i): Edit => ({ op: "set", path: ["spec", "steps", i], value: s })),
      { op: "move", path: ["spec", "steps"], from: 0, to: 0 },
    ]);
    expect(same.text).toBe(text);
  });

  it.runIf(hasSteps)("changes only the step whose config field changes, keeping every comment", () => {
    const i = steps(src).length - 1;
    const field = configField(steps(src)[i] as Record<string, unknown>);
    const next = edited(src, {
      op: "set",
      path: ["spec", "steps", i, "with", field],
      value: "Changed: by the builder, with a # sign",
      order: ["to", "cc", "subject", "text", "html"],
    });
    expect(valueAt(next, ["spec", "steps", i, "with", field])).toBe("Changed: by the builder, with a # sign");
    const [first, last] = span(src, ["spec", "steps", i]);
    expectOutsideUnchanged(text, next.text, first, last);
    expectCommentsKept(text, next.text);
    // the rest of the document's value is as it was
    const expected = structuredClone(plainValue(src)) as {
      spec: { steps: { with?: Record<string, unknown> }[] };
    };
    const step = expected.spec.steps[i] as { with?: Record<string, unknown> };
    step.with = { ...(step.with ?? {}), [field]: "Changed: by the builder, with a # sign" };
    expect(plainValue(next)).toEqual(expected);
  });

  it.runIf(hasSteps)("adds a step after the last one, changing nothing else", () => {
    const n = steps(src).length;
    const step = {
      id: "added-step",
      uses: "email@1",
      with: { to: ["x@example.com"], subject: "Added", text: "Two\nlines\n" },
    };
    const next = edited(src, { op: "insert", path: ["spec", "steps"], index: n, value: step });
    expect(valueAt(next, ["spec", "steps", n])).toEqual(step);
    expect(diffLines(text, next.text).filter((l) => l.kind === "removed")).toEqual([]);
    const [, last] = span(src, ["spec", "steps", n - 1]);
    expectOutsideUnchanged(text, next.text, last + 1, last);
    expectCommentsKept(text, next.text);
  });

  it.runIf(hasSteps)(
    "sets an if: on the first step and a retry on the last, touching only those steps",
    () => {
      const n = steps(src).length;
      let next = edited(src, {
        op: "set",
        path: ["spec", "steps", 0, "if"],
        value: 'trigger.kind == "fired"',
        order: ["id", "uses", "if", "with", "retry", "timeout", "onFailure"],
      });
      next = edited(next, {
        op: "set",
        path: ["spec", "steps", n - 1, "retry", "maxAttempts"],
        value: 4,
        order: ["id", "uses", "if", "with", "retry", "timeout", "onFailure"],
      });
      expect(valueAt(next, ["spec", "steps", 0, "if"])).toBe('trigger.kind == "fired"');
      expect(valueAt(next, ["spec", "steps", n - 1, "retry", "maxAttempts"])).toBe(4);
      const [first] = span(src, ["spec", "steps", 0]);
      const [, last] = span(src, ["spec", "steps", n - 1]);
      expectOutsideUnchanged(text, next.text, first, last);
      expectCommentsKept(text, next.text);
    },
  );

  it.runIf(hasSteps && steps(src).length >= 2)(
    "moves the last step first, keeping every line of every step",
    () => {
      const n = steps(src).length;
      const next = edited(src, { op: "move", path: ["spec", "steps"], from: n - 1, to: 0 });
      expect(steps(next).map((s) => s.id)).toEqual([
        steps(src)[n - 1]?.id,
        ...steps(src)
          .slice(0, -1)
          .map((s) => s.id),
      ]);
      const [first] = span(src, ["spec", "steps", 0]);
      const [, last] = span(src, ["spec", "steps", n - 1]);
      expectOutsideUnchanged(text, next.text, first, last);
      expect([...splitLines(next.text)].sort()).toEqual([...splitLines(text)].sort());
      expectCommentsKept(text, next.text);
      // and back: the text as it was
      expect(edited(next, { op: "move", path: ["spec", "steps"], from: 0, to: n - 1 }).text).toBe(text);
    },
  );

  it.runIf(hasSteps)("removes the last step with its own lines only", () => {
    const n = steps(src).length;
    const removed = edited(src, { op: "delete", path: ["spec", "steps", n - 1] });
    expect(steps(removed)).toHaveLength(n - 1);
    const [first, last] = span(src, ["spec", "steps", n - 1], true);
    const lines = splitLines(text);
    // the step's lines go (an only step leaves `steps: []`), the rest stays
    const keep = n === 1 ? first - 2 : first - 1;
    expect(splitLines(removed.text).slice(0, keep)).toEqual(lines.slice(0, keep));
    expect(splitLines(removed.text).slice(keep + (n === 1 ? 1 : 0))).toEqual(lines.slice(last));
    const own = comments(lines.slice(first - 1, last).join("\n"));
    expectCommentsKept(
      comments(text).filter((c) => !own.includes(c)),
      removed.text,
    );
  });
});

describe("edits of parts that are not there yet", () => {
  it("writes a first step into `steps: []` as a block", () => {
    const text =
      "apiVersion: latchflow.dev/v1\nkind: Pipeline\nmetadata:\n  name: new-one # here\nspec:\n  triggers:\n    - id: go\n      uses: manual@1\n  steps: []\n";
    const next = applyEdit(parseYaml(text), {
      op: "insert",
      path: ["spec", "steps"],
      index: 0,
      value: { id: "send", uses: "email@1", with: { to: ["a@example.com"], subject: "S", text: "T" } },
    });
    expect(next.text).toBe(
      "apiVersion: latchflow.dev/v1\nkind: Pipeline\nmetadata:\n  name: new-one # here\nspec:\n  triggers:\n    - id: go\n      uses: manual@1\n  steps:\n    - id: send\n      uses: email@1\n      with:\n        to: [a@example.com]\n        subject: S\n        text: T\n",
    );
  });

  it("adds a missing map on the way (retry of a step that has none), in the preferred key order", () => {
    const text = "steps:\n  - id: a # the one\n    uses: email@1\n    with: {}\n    timeout: 1m\n";
    const next = applyEdit(parseYaml(text), {
      op: "set",
      path: ["steps", 0, "retry"],
      value: { maxAttempts: 3, backoff: "fixed", initialInterval: "1s", maxInterval: "1m" },
      order: ["id", "uses", "if", "with", "retry", "timeout"],
    });
    expect(next.text).toBe(
      "steps:\n  - id: a # the one\n    uses: email@1\n    with: {}\n    retry:\n      maxAttempts: 3\n      backoff: fixed\n      initialInterval: 1s\n      maxInterval: 1m\n    timeout: 1m\n",
    );
  });

  it("fills `with: {}` as a block and empties it again to `{}` when its last key goes", () => {
    const text = "step:\n  uses: email@1\n  with: {}   # nothing yet\n";
    const filled = applyEdit(parseYaml(text), { op: "set", path: ["step", "with", "subject"], value: "Hi" });
    expect(filled.text).toBe("step:\n  uses: email@1\n  with:\n    subject: Hi   # nothing yet\n");
    const emptied = applyEdit(filled, { op: "delete", path: ["step", "with", "subject"] });
    expect(emptied.text).toBe("step:\n  uses: email@1\n  with: {}   # nothing yet\n");
    // inside a flow collection it stays flow
    const flow = applyEdit(parseYaml("step: { with: {} }\n"), {
      op: "set",
      path: ["step", "with", "a"],
      value: 1,
    });
    expect(flow.text).toBe("step: { with: { a: 1 } }\n");
  });

  it("deletes the last key of a block map, leaving `{}` (and the comment after it)", () => {
    const text = "step:\n  with:\n    subject: Hi # greet\n  timeout: 1m\n";
    const next = applyEdit(parseYaml(text), { op: "delete", path: ["step", "with", "subject"] });
    expect(next.text).toBe("step:\n  with: {} # greet\n  timeout: 1m\n");
  });

  it("keeps a quoted scalar quoted, and quotes what must be", () => {
    const text = "a: \"one\"\nb: 'two'\nc: plain\n";
    let s = applyEdit(parseYaml(text), { op: "set", path: ["a"], value: "uno" });
    s = applyEdit(s, { op: "set", path: ["b"], value: "dos" });
    s = applyEdit(s, { op: "set", path: ["c"], value: "true" });
    expect(s.text).toBe('a: "uno"\nb: \'dos\'\nc: "true"\n');
    expect(valueAt(s, ["c"])).toBe("true");
  });

  it("rewrites the enclosing node when no smaller change can be made, and only that node", () => {
    // a key before `id`, which shares its line with the dash: the step is written anew, the rest stays
    const text = "# head\nsteps:\n  - id: a   # first\n    uses: email@1\n  - id: b\n    uses: email@1\n";
    const next = applyEdit(parseYaml(text), {
      op: "set",
      path: ["steps", 1, "name"],
      value: "B",
      order: ["name", "id", "uses"],
    });
    expect(valueAt(next, ["steps", 1])).toEqual({ name: "B", id: "b", uses: "email@1" });
    expect(next.text.startsWith("# head\nsteps:\n  - id: a   # first\n    uses: email@1\n")).toBe(true);
  });

  it("writes through anchors and aliases without breaking them", () => {
    const text =
      "base: &b { to: [a@example.com] }\nsteps:\n  - with: *b\n  - with: { to: [c@example.com] }\n";
    const next = applyEdit(parseYaml(text), {
      op: "set",
      path: ["steps", 1, "with", "to", 0],
      value: "d@example.com",
    });
    expect(next.text).toBe(
      "base: &b { to: [a@example.com] }\nsteps:\n  - with: *b\n  - with: { to: [d@example.com] }\n",
    );
    const aliased = applyEdit(next, {
      op: "set",
      path: ["steps", 0, "with", "to", 0],
      value: "e@example.com",
    });
    expect(valueAt(aliased, ["steps", 0, "with", "to"])).toEqual(["e@example.com"]);
    expect(valueAt(aliased, ["base", "to"])).toEqual(["a@example.com"]);
  });

  it("refuses to edit a text that does not parse", () => {
    expect(() => applyEdit(parseYaml("a: [1, 2\n"), { op: "set", path: ["a"], value: 1 })).toThrow(/syntax/);
  });
});
