import { describe, expect, it } from "vitest";
import { grantableRoles, mayManage, userMatches } from "./users.js";

describe("users", () => {
  it("offers the owner and admin roles to owners only", () => {
    expect(grantableRoles("owner").map((r) => r.role)).toEqual(["owner", "admin", "executor"]);
    expect(grantableRoles("admin").map((r) => r.role)).toEqual(["executor"]);
  });

  it("lets only owners manage owners", () => {
    expect(mayManage({ role: "admin" }, { role: "owner" })).toBe(false);
    expect(mayManage({ role: "admin" }, { role: "executor" })).toBe(true);
    expect(mayManage({ role: "owner" }, { role: "owner" })).toBe(true);
  });

  it("filters by email or role", () => {
    const u = { email: "Ann@Example.com", role: "executor" };
    expect(userMatches(u, "ann@")).toBe(true);
    expect(userMatches(u, "EXEC")).toBe(true);
    expect(userMatches(u, "admin")).toBe(false);
    expect(userMatches(u, "  ")).toBe(true);
  });
});
