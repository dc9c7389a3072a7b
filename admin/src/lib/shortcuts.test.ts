import { describe, expect, it } from "vitest";
import { type KeyPress, SEQUENCE_MS, shortcutFor } from "./shortcuts.js";

const press = (key: string, at = 0, extra: Partial<KeyPress> = {}): KeyPress => ({
  key,
  ctrlKey: false,
  altKey: false,
  metaKey: false,
  inField: false,
  inDialog: false,
  at,
  ...extra,
});
const idle = { pendingSince: null };
const all = () => true;

describe("shortcutFor", () => {
  it("maps the single keys", () => {
    expect(shortcutFor(press("/"), idle, all).action).toEqual({ kind: "focus-search" });
    expect(shortcutFor(press("n"), idle, all).action).toEqual({ kind: "new" });
    expect(shortcutFor(press("?"), idle, all).action).toEqual({ kind: "help" });
    expect(shortcutFor(press("x"), idle, all).action).toBeNull();
  });

  it("goes to a page with g then a letter, within the sequence time", () => {
    const first = shortcutFor(press("g", 1000), idle, all);
    expect(first.action).toEqual({ kind: "pending" });
    const second = shortcutFor(press("b", 1000 + SEQUENCE_MS), first.state, all);
    expect(second.action).toEqual({ kind: "go", path: "/bundles" });
    expect(second.state.pendingSince).toBeNull();
    // too late: the letter is an ordinary key again
    const late = shortcutFor(press("n", 1001 + SEQUENCE_MS), first.state, all);
    expect(late.action).toEqual({ kind: "new" });
  });

  it("offers only the pages the user may open", () => {
    const pending = { pendingSince: 0 };
    expect(shortcutFor(press("m", 10), pending, (p) => p !== "/users").action).toBeNull();
    expect(shortcutFor(press("s", 10), pending, (p) => p === "/sessions").action).toEqual({
      kind: "go",
      path: "/sessions",
    });
    // an unknown letter after g ends the sequence without acting
    const unknown = shortcutFor(press("z", 10), pending, all);
    expect(unknown.action).toBeNull();
    expect(unknown.state.pendingSince).toBeNull();
  });

  it("never acts on keys typed into fields, with modifiers or in a dialog", () => {
    for (const extra of [
      { inField: true },
      { ctrlKey: true },
      { altKey: true },
      { metaKey: true },
      { inDialog: true },
    ]) {
      expect(shortcutFor(press("n", 0, extra), idle, all).action).toBeNull();
      expect(shortcutFor(press("b", 10, extra), { pendingSince: 0 }, all).action).toBeNull();
    }
  });
});
