import { describe, expect, it } from "vitest";
import { type ChainedRecord, canonicalJson, canonicalRecord, GENESIS_HASH, recordHash } from "./canonical.js";

const record: ChainedRecord = {
  tenant: "default",
  seq: 1,
  id: "01J0000000000000000000000A",
  type: "bundles.bundle.created",
  occurredAt: new Date("2030-01-01T00:00:00.000Z"),
  recordedAt: new Date("2030-01-01T00:00:00.250Z"),
  actor: { kind: "user", id: "01J0000000000000000000000U" },
  subjectIds: { bundleId: "01J0000000000000000000000B" },
  requestId: "",
  data: { name: "Family", bundleId: "01J0000000000000000000000B" },
};

describe("canonical encoding (RFC 8785 style)", () => {
  it("sorts keys at every depth, drops undefined members and writes no whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: "x" }, u: undefined })).toBe(
      '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}',
    );
    expect(canonicalJson({ é: 1, e: 2, E: 3, "10": 4, "9": 5 })).toBe('{"10":4,"9":5,"E":3,"e":2,"é":1}');
    expect(canonicalJson(["a\u2028", '\n"\\', 1e21, 0.1, -0])).toBe('["a\u2028","\\n\\"\\\\",1e+21,0.1,0]');
  });

  it("refuses what JSON cannot carry", () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson({ a: () => 1 })).toThrow(TypeError);
  });

  it("encodes exactly the chained fields, with dates in ISO 8601 and a version", () => {
    expect(canonicalRecord(record)).toBe(
      '{"actor":{"id":"01J0000000000000000000000U","kind":"user"},' +
        '"data":{"bundleId":"01J0000000000000000000000B","name":"Family"},' +
        '"id":"01J0000000000000000000000A","occurredAt":"2030-01-01T00:00:00.000Z",' +
        '"recordedAt":"2030-01-01T00:00:00.250Z","requestId":"","seq":1,' +
        '"subjectIds":{"bundleId":"01J0000000000000000000000B"},"tenant":"default",' +
        '"type":"bundles.bundle.created","v":1}',
    );
  });

  it("writes records exactly as the generic JCS encoder would", () => {
    const odd: ChainedRecord = {
      ...record,
      seq: 9_007_199_254_740_991,
      actor: { kind: "pipeline_run", id: 'run "1"\n' },
      subjectIds: { z: "1", a: "\u0000", é: "x" },
      requestId: "req-\u2028",
      data: { list: [1.5, -0, "two", null, { b: true, a: false }], nested: { "": 0 } },
    };
    for (const r of [record, odd]) {
      const { occurredAt, recordedAt, actor, ...rest } = r;
      expect(canonicalRecord(r)).toBe(
        canonicalJson({
          v: 1,
          ...rest,
          actor: { kind: actor.kind, id: actor.id },
          occurredAt: occurredAt.toISOString(),
          recordedAt: recordedAt.toISOString(),
        }),
      );
    }
    const parts = { data: canonicalJson(odd.data), subjectIds: canonicalJson(odd.subjectIds) };
    expect(canonicalRecord({ ...odd, data: "ignored" }, parts)).toBe(canonicalRecord(odd));
  });

  it("hashes sha256(prevHash bytes || canonical), so any field or the previous hash changes it", () => {
    const h = recordHash(GENESIS_HASH, record);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(recordHash(GENESIS_HASH, { ...record, data: { ...(record.data as object) } })).toBe(h);
    expect(recordHash(GENESIS_HASH, { ...record, seq: 2 })).not.toBe(h);
    expect(recordHash(GENESIS_HASH, { ...record, actor: { kind: "user", id: "x" } })).not.toBe(h);
    expect(recordHash(h, record)).not.toBe(h);
    expect(() => recordHash("abc", record)).toThrow(TypeError);
  });
});
