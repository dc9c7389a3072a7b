import { describe, expect, it } from "vitest";
import { completeReferences, type Directory, referenceHover } from "../src/language/index.js";
import { cursor, EXAMPLE, edit, find } from "./fixtures.js";

const directory: Directory = {
  bundles: [
    { id: "bun_1", name: "family-archive", description: "Photos and letters", enabled: true },
    { id: "bun_2", name: "old-archive", enabled: false },
  ],
  recipients: [
    { id: "rcp_a", email: "alice@example.com", name: "Alice", enabled: true },
    { id: "rcp_b", email: "bob@example.com", name: "", enabled: false },
  ],
};

const at = (from: string, to: string) => cursor(edit(from, to));
const labels = (c: { text: string; position: { line: number; character: number } }) =>
  completeReferences(c.text, c.position, directory)?.map((i) => [i.label, i.textEdit?.newText, i.detail]);

describe("bundle and recipient completion from a connected server", () => {
  it("bundle: names, enabled first, replacing the word typed", () => {
    const c = at("bundle: family-archive", "bundle: fam‸");
    expect(labels(c)).toEqual([
      ["family-archive", "family-archive", "bundle · enabled"],
      ["old-archive", "old-archive", "bundle · disabled"],
    ]);
    const [first, second] = completeReferences(c.text, c.position, directory) ?? [];
    const p = find(c.text, "bundle: fam");
    expect(first?.textEdit?.range).toEqual({
      start: { line: p.line, character: p.character + 8 },
      end: { line: p.line, character: p.character + 11 },
    });
    expect([first?.sortText, second?.sortText]).toEqual(["0family-archive", "1old-archive"]);
  });

  it("recipients in a flow list leave out those already listed; an empty value gets a list", () => {
    expect(labels(at("recipients: [alice@example.com]", "recipients: [alice@example.com, ‸]"))).toEqual([
      ["bob@example.com", "bob@example.com", "disabled"],
    ]);
    expect(labels(at("recipients: [alice@example.com]", "recipients: ‸"))).toEqual([
      ["alice@example.com", "[alice@example.com]", "Alice · enabled"],
      ["bob@example.com", "[bob@example.com]", "disabled"],
    ]);
    const items = completeReferences(
      ...(Object.values(at("recipients: [alice@example.com]", "recipients: [‸]")) as [string, never]),
      directory,
    );
    expect(items?.[0]?.filterText).toBe("alice@example.com Alice rcp_a");
  });

  it("recipients in a block list", () => {
    const c = at(
      "recipients: [alice@example.com]",
      "recipients:\n          - bob@example.com\n          - al‸",
    );
    expect(labels(c)).toEqual([["alice@example.com", "alice@example.com", "Alice · enabled"]]);
  });

  it("inside a flow map: with: { bundle: ‸, recipients: [alice@example.com, ‸] }", () => {
    const block =
      "      with:\n        bundle: family-archive\n        recipients: [alice@example.com]\n        maxDownloads: 3\n";
    const flow = (w: string) => cursor(edit(block, `      with: { ${w} }\n`));
    expect(labels(flow("bundle: ‸, recipients: [alice@example.com]"))).toEqual([
      ["family-archive", "family-archive", "bundle · enabled"],
      ["old-archive", "old-archive", "bundle · disabled"],
    ]);
    expect(labels(flow("bundle: family-archive, recipients: [alice@example.com, ‸]"))).toEqual([
      ["bob@example.com", "bob@example.com", "disabled"],
    ]);
    expect(labels(flow("bundle: family-archive, recipients: ‸"))?.[0]?.[1]).toBe("[alice@example.com]");
  });

  it("elsewhere: undefined, so the schema-driven completion applies", () => {
    expect(labels(at('subject: "Release pending"', "subject: ‸"))).toBeUndefined();
    expect(labels(at("to: [guardian@example.com]", "to: [‸]"))).toBeUndefined();
    expect(labels(at("maxDownloads: 3", "‸maxDownloads: 3"))).toBeUndefined();
  });
});

describe("resolved bundle and recipient on hover", () => {
  it("a bundle: name, id, enabled, description", () => {
    const p = find(EXAMPLE, "family-archive");
    const h = referenceHover(EXAMPLE, { line: p.line, character: p.character + 2 }, directory);
    expect(h).toEqual({
      contents: {
        kind: "markdown",
        value: "**bundle `family-archive`** — enabled\n\nid `bun_1`\n\nPhotos and letters",
      },
      range: { start: p, end: { line: p.line, character: p.character + "family-archive".length } },
    });
  });

  it("a recipient by email (any case) or by id; an unknown one says so", () => {
    const p = find(EXAMPLE, "alice@example.com");
    expect(referenceHover(EXAMPLE, p, directory)?.contents.value).toBe(
      "**recipient Alice <alice@example.com>** — enabled\n\nid `rcp_a`",
    );
    const byId = edit("recipients: [alice@example.com]", "recipients: [rcp_b, Carol@example.com]");
    expect(referenceHover(byId, find(byId, "rcp_b"), directory)?.contents.value).toBe(
      "**recipient bob@example.com** — disabled\n\nid `rcp_b`",
    );
    expect(referenceHover(byId, find(byId, "Carol"), directory)?.contents.value).toBe(
      "No recipient `Carol@example.com` on the server.",
    );
  });

  it("nothing on other values (an email step's `to:` is not a recipient reference)", () => {
    expect(referenceHover(EXAMPLE, find(EXAMPLE, "guardian@example.com"), directory)).toBeUndefined();
    expect(referenceHover(EXAMPLE, find(EXAMPLE, "bundle:"), directory)).toBeUndefined();
  });
});
