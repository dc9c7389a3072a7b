import type { schemas } from "@latchflow/api";
import { describe, expect, it } from "vitest";
import {
  checkForm,
  createBody,
  formFrom,
  fromLocalInput,
  progressWords,
  toLocalInput,
  updateBody,
  usageWords,
  windowState,
  windowWords,
} from "./assignments.js";

const assignment: schemas.Assignment = {
  id: "01JABCDEFGHJKMNPQRSTVWXYZ0",
  bundleId: "b",
  recipientId: "r",
  maxDownloads: 3,
  cooldownSeconds: 0,
  notBefore: "2026-12-01T09:00:00.000Z",
  notAfter: null,
  enabled: true,
  passphraseRequired: true,
  used: 1,
  remaining: 2,
  nextAvailableAt: null,
  lastDownloadAt: null,
  message: "Hello",
  acknowledgementRequired: true,
  acknowledgedAt: null,
};

describe("assignment form", () => {
  it("round-trips a time through a datetime-local field in the browser's zone", () => {
    const local = toLocalInput("2026-12-01T09:30:00.000Z");
    expect(local).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    expect(fromLocalInput(local)).toBe("2026-12-01T09:30:00.000Z");
    expect(fromLocalInput("")).toBeNull();
    expect(fromLocalInput("tomorrow")).toBeUndefined();
    expect(toLocalInput(null)).toBe("");
  });

  it("checks the form by the contract's rules, naming each field", () => {
    const form = {
      ...formFrom(),
      maxDownloads: "2.5",
      notBefore: "2026-12-02T10:00",
      notAfter: "2026-12-01T10:00",
      passphrase: "set" as const,
      newPassphrase: "short",
      acknowledgementRequired: true,
    };
    expect(Object.keys(checkForm(form).errors).sort()).toEqual([
      "maxDownloads",
      "message",
      "newPassphrase",
      "notAfter",
    ]);
    expect(checkForm({ ...form, message: "a\u0007b" }).errors.message).toContain("control characters");
    const ok = checkForm({ ...formFrom(), maxDownloads: " ", message: "Hi\r\nthere" });
    expect(ok.value).toEqual({ maxDownloads: 0, notBefore: null, notAfter: null, message: "Hi\nthere" });
  });

  it("sends only what is set when assigning", () => {
    const form = {
      ...formFrom(),
      maxDownloads: "5",
      passphrase: "set" as const,
      newPassphrase: "correct horse",
    };
    const { value } = checkForm(form);
    expect(createBody(form, value!, "r1")).toEqual({
      recipientId: "r1",
      maxDownloads: 5,
      enabled: true,
      passphrase: "correct horse",
      acknowledgementRequired: false,
    });
  });

  it("sends only what changed when editing; the passphrase is kept, replaced or removed", () => {
    const form = formFrom(assignment);
    expect(form).toMatchObject({
      maxDownloads: "3",
      passphrase: "keep",
      newPassphrase: "",
      message: "Hello",
    });
    const same = checkForm(form).value!;
    expect(updateBody(form, same, assignment)).toEqual({});
    const cleared = { ...form, passphrase: "clear" as const, notBefore: "", maxDownloads: "" };
    expect(updateBody(cleared, checkForm(cleared).value!, assignment)).toEqual({
      maxDownloads: 0,
      notBefore: null,
      passphrase: null,
    });
    const changed = { ...form, message: "Bye", enabled: false, resetUsage: true };
    expect(updateBody(changed, checkForm(changed).value!, assignment)).toEqual({
      message: "Bye",
      enabled: false,
      resetUsage: true,
    });
  });

  it("says where the window stands, how many downloads are used, and how far a download got", () => {
    const now = new Date("2026-12-05T00:00:00Z");
    expect(windowState(assignment, new Date("2026-11-30T00:00:00Z"))).toBe("upcoming");
    expect(windowState(assignment, now)).toBe("open");
    expect(windowState({ notBefore: null, notAfter: "2026-12-04T00:00:00Z" }, now)).toBe("closed");
    expect(windowWords({ notBefore: null, notAfter: null }, now)).toBe("Open, no end");
    expect(windowWords(assignment, new Date("2026-11-30T00:00:00Z"))).toMatch(/^Opens \w+ \d+, 2026/);
    expect(usageWords(assignment)).toBe("1 of 3 used");
    expect(usageWords({ used: 4, maxDownloads: 0 })).toBe("4 used · no limit");
    expect(progressWords({ completedAt: "2026-12-05T00:00:00Z", bytesSent: 10, size: 10 })).toBe("Completed");
    expect(progressWords({ completedAt: null, bytesSent: 1000, size: 3_000_000 })).toBe(
      "Not completed: 1 kB of 3 MB",
    );
  });
});
