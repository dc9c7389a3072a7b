import { describe, expect, it } from "vitest";
import { clip } from "./chart.js";

describe("clip", () => {
  it("leaves text that fits", () => {
    expect(clip("Tax papers", 22)).toBe("Tax papers");
    expect(clip("a".repeat(22), 22)).toBe("a".repeat(22));
  });

  it("shortens other text at the end, to the length asked for", () => {
    const clipped = clip("Letters to the children, 1990–2020", 22);
    expect(clipped).toBe("Letters to the childr…");
    expect(clipped).toHaveLength(22);
  });

  it("keeps an email's domain and shortens its local part", () => {
    const clipped = clip("margaret.hamilton-smith@example.org", 22);
    expect(clipped).toBe("margaret.…@example.org");
    expect(clipped).toHaveLength(22);
  });

  it("shortens at the end when the domain alone would not leave room", () => {
    expect(clip("ann@a-very-long-domain-name.example", 22)).toBe("ann@a-very-long-domai…");
  });
});
