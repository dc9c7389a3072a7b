import { describe, expect, it } from "vitest";
import { ISOLATE_TO_HOST } from "./boundary.js";
import {
  HOST_CALL_MODES,
  HOST_MEMBERS,
  isPermissionName,
  memberOf,
  memberOfCall,
  PERMISSION_NAMES,
} from "./vocabulary.js";

describe("the host-capability vocabulary", () => {
  it("derives permissions, members and calls from one table", () => {
    expect(PERMISSION_NAMES).toEqual([
      "fetch",
      "mail.send",
      "bundles.grant",
      "links.publish",
      "kv",
      "secrets",
      "log",
      "emit",
    ]);
    expect(HOST_MEMBERS).toEqual(["fetch", "mail", "bundles", "links", "kv", "secrets", "log", "emit"]);
    expect(memberOf("bundles.grant")).toBe("bundles");
    expect(memberOfCall("kv.delete")).toBe("kv");
    expect(HOST_CALL_MODES).toMatchObject({ log: "sync", emit: "sync", "kv.get": "async" });
    expect(isPermissionName("grant")).toBe(false);
    expect(isPermissionName("toString")).toBe(false);
  });

  it("the boundary's host calls are exactly the table's, with its modes", () => {
    expect(Object.keys(ISOLATE_TO_HOST)).toEqual(Object.keys(HOST_CALL_MODES));
    for (const [name, call] of Object.entries(ISOLATE_TO_HOST)) {
      expect(call.mode).toBe(HOST_CALL_MODES[name as keyof typeof HOST_CALL_MODES]);
    }
  });
});
