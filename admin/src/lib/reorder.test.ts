import { describe, expect, it } from "vitest";
import { dropIndex, keyStep, movedText, moveItem } from "./reorder.js";

describe("reordering", () => {
  const list = ["a", "b", "c", "d"];

  it("moves one item, leaving the input alone and keeping moves within the list", () => {
    expect(moveItem(list, 0, 2)).toEqual(["b", "c", "a", "d"]);
    expect(moveItem(list, 3, 0)).toEqual(["d", "a", "b", "c"]);
    expect(moveItem(list, 1, -5)).toEqual(["b", "a", "c", "d"]);
    expect(moveItem(list, 1, 99)).toEqual(["a", "c", "d", "b"]);
    expect(moveItem(list, 7, 0)).toEqual(list);
    expect(list).toEqual(["a", "b", "c", "d"]);
  });

  it("drops before or after the row under the pointer", () => {
    // "a" dropped on the upper half of "c" lands before it; on its lower half, after it
    expect(moveItem(list, 0, dropIndex(0, 2, true))).toEqual(["b", "a", "c", "d"]);
    expect(moveItem(list, 0, dropIndex(0, 2, false))).toEqual(["b", "c", "a", "d"]);
    // "d" dropped on the upper half of "a": first; on itself: nowhere
    expect(moveItem(list, 3, dropIndex(3, 0, true))).toEqual(["d", "a", "b", "c"]);
    expect(moveItem(list, 3, dropIndex(3, 3, true))).toEqual(list);
    expect(moveItem(list, 1, dropIndex(1, 1, false))).toEqual(list);
  });

  it("says the new position and reads Alt+Arrow keys only", () => {
    expect(movedText("a.txt", 1, 5)).toBe("“a.txt” moved to position 2 of 5.");
    const key = (key: string, altKey = true, ctrlKey = false) =>
      keyStep({ key, altKey, ctrlKey, metaKey: false });
    expect(key("ArrowUp")).toBe(-1);
    expect(key("ArrowDown")).toBe(1);
    expect(key("ArrowDown", false)).toBe(0);
    expect(key("ArrowDown", true, true)).toBe(0);
    expect(key("Enter")).toBe(0);
  });
});
