import { describe, expect, it } from "vitest";
import {
  cronNext,
  deadmanStatus,
  fromLocalInput,
  parsePayload,
  payloadIssues,
  payloadSchemaOf,
  scheduleStatus,
  schemaSummary,
  toLocalInput,
  triggerKind,
} from "./trigger-status.js";

describe("trigger status", () => {
  it("knows the built-in triggers by their capability", () => {
    expect(
      ["manual@1", "deadman@1", "cron@1", "schedule@1", "webhook@1", "acme/pager@1", "odd@1"].map(
        triggerKind,
      ),
    ).toEqual(["manual", "deadman", "cron", "schedule", "webhook", "other", "other"]);
  });

  it("reads deadman@1's status, and nothing that is not one", () => {
    const status = {
      deadline: "2030-02-07T00:00:00.000Z",
      periodStart: "2030-01-01T00:00:00.000Z",
      lastCheckInAt: "2030-01-01T00:00:00.000Z",
      paused: false,
      fired: false,
      ladder: [{ entry: "7d", at: "2030-01-31T00:00:00.000Z", sent: true }, { entry: 3 }],
    };
    expect(deadmanStatus(status)).toEqual({
      ...status,
      pausedUntil: undefined,
      ladder: [{ entry: "7d", at: "2030-01-31T00:00:00.000Z", sent: true }],
    });
    expect(deadmanStatus(null)).toBeUndefined();
    expect(deadmanStatus({ deadline: "x" })).toBeUndefined();
    expect(cronNext({ next: ["2030-01-01T09:00:00.000Z", 4] })).toEqual(["2030-01-01T09:00:00.000Z"]);
    expect(cronNext(null)).toEqual([]);
    expect(scheduleStatus({ at: "2030-01-01T09:00:00.000Z", fired: false })).toEqual({
      at: "2030-01-01T09:00:00.000Z",
      fired: false,
      firedAt: undefined,
    });
  });

  it("reads a manual trigger's payload schema and says what it needs", () => {
    const schema = {
      type: "object",
      required: ["name", "age", "tags"],
      properties: { name: { type: "string" }, age: { type: "integer" } },
    };
    expect(payloadSchemaOf({ payloadSchema: schema })).toBe(schema);
    expect(payloadSchemaOf({})).toBeUndefined();
    expect(schemaSummary(schema)).toBe("Needs name (string), age (integer) and tags.");
    expect(schemaSummary({ required: ["name"] })).toBe("Needs name.");
    expect(schemaSummary({ type: "object" })).toBe("The payload must match the schema below.");
  });

  it("parses the payload typed: empty is none, anything else must be JSON", () => {
    expect(parsePayload("  ")).toEqual({ ok: true, value: undefined });
    expect(parsePayload('{"name":"Ann"}')).toEqual({ ok: true, value: { name: "Ann" } });
    const bad = parsePayload("{name: Ann}");
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/^This is not valid JSON \(.+\)\.$/);
    expect(
      payloadIssues({
        issues: [
          { path: "/name", message: "must be string" },
          { path: "", message: "must have required property 'name'" },
        ],
      }),
    ).toEqual(["name: must be string", "The payload must have required property 'name'"]);
  });

  it("turns datetime-local values into instants and back", () => {
    const d = new Date(2030, 2, 4, 14, 5);
    expect(toLocalInput(d)).toBe("2030-03-04T14:05");
    expect(fromLocalInput("2030-03-04T14:05")?.getTime()).toBe(d.getTime());
    expect(fromLocalInput("")).toBeUndefined();
    expect(fromLocalInput("tomorrow")).toBeUndefined();
  });
});
