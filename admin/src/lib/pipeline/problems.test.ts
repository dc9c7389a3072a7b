import { describe, expect, it } from "vitest";
import { conditionProblems, pointer, problemsAt, problemsWithin, syntaxProblems } from "./problems.js";
import { parseYaml } from "./yaml-source.js";

const DOC = `spec:
  steps:
    - id: first
      uses: email@1
      if: steps.later.outcome == "succeeded"
    - id: later
      uses: email@1
      if: 'trigger.kind == 1 +'
    - id: fine
      uses: email@1
      if: steps.first.outcome == "succeeded"
`;

describe("problems found in the browser", () => {
  it("checks each if: with the spec's checker, located inside the expression", () => {
    const problems = conditionProblems(parseYaml(DOC));
    expect(problems.map((p) => [p.code, p.path, p.line])).toEqual([
      ["unknown_step_reference", "/spec/steps/0/if", 5],
      ["cel_syntax", "/spec/steps/1/if", 8],
    ]);
    // `steps.later` starts at column 11 of line 5 (plain), the quoted one one column after its quote
    expect(problems[0]?.column).toBeGreaterThanOrEqual(11);
    expect(problems[1]?.column).toBeGreaterThan(11);
    expect(problemsAt(problems, ["spec", "steps", 0, "if"])).toHaveLength(1);
    expect(problemsWithin(problems, ["spec", "steps"])).toHaveLength(2);
  });

  it("reports YAML syntax errors with their line", () => {
    const problems = syntaxProblems(parseYaml("spec:\n  steps: [a, b\n  other: 1\n"));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatchObject({ code: "yaml_syntax", severity: "error", path: "" });
    expect(problems[0]?.line).toBeGreaterThanOrEqual(2);
    expect(syntaxProblems(parseYaml(DOC))).toEqual([]);
  });

  it("writes JSON Pointers as RFC 6901 does", () => {
    expect(pointer(["spec", "steps", 0, "with", "a/b~c"])).toBe("/spec/steps/0/with/a~1b~0c");
  });
});
