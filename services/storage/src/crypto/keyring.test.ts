import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, loadConfig } from "@latchflow/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { kekFromBytes } from "./key-wrap.js";
import {
  generateMasterKey,
  keyFilePaths,
  loadKeyring,
  pruneRetiredKeyFiles,
  readOrCreateKeyFile,
  rotateKeyFile,
} from "./keyring.js";

const logger = createLogger({ level: "silent" });
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "lf-keys-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

describe("master keys", () => {
  it("uses LATCHFLOW_MASTER_KEY and the old keys; ids only, and config never prints a key", () => {
    const current = generateMasterKey();
    const old = [generateMasterKey(), generateMasterKey()];
    const config = loadConfig({
      LATCHFLOW_DATA_DIR: tempDir(),
      LATCHFLOW_MASTER_KEY: current,
      LATCHFLOW_MASTER_KEYS_OLD: old.join(", "),
    });
    const ring = loadKeyring(config, logger);
    expect(ring.source).toBe("env");
    expect(ring.current.id).toBe(kekFromBytes(Buffer.from(current, "base64")).id);
    expect(ring.ids).toHaveLength(3);
    for (const o of old) expect(ring.get(kekFromBytes(Buffer.from(o, "base64")).id)).toBeDefined();
    const printed = JSON.stringify(config) + String(config.storage.masterKey);
    for (const k of [current, ...old]) expect(printed).not.toContain(k);
    // no key file when the key comes from the environment
    expect(readdirSync(config.dataDir)).toEqual([]);
  });

  it("rejects malformed keys in the config, naming the variable but not the value", () => {
    const bad = "c2hvcnQ=";
    expect(() => loadConfig({ LATCHFLOW_MASTER_KEY: bad })).toThrow(
      /LATCHFLOW_MASTER_KEY: must be base64 of exactly 32 bytes/,
    );
    expect(() => loadConfig({ LATCHFLOW_MASTER_KEYS_OLD: `${generateMasterKey()},${bad}` })).toThrow(
      /LATCHFLOW_MASTER_KEYS_OLD/,
    );
    try {
      loadConfig({ LATCHFLOW_MASTER_KEY: bad });
    } catch (err) {
      expect(String((err as Error).message)).not.toContain(bad);
    }
  });

  it("generates a 0600 key file on first use and reads the same key afterwards", () => {
    const dataDir = tempDir();
    const first = loadKeyring(loadConfig({ LATCHFLOW_DATA_DIR: dataDir }), logger);
    const { current, dir } = keyFilePaths(dataDir);
    expect(first.source).toBe("file");
    expect(statSync(current).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(Buffer.from(readFileSync(current, "utf8").trim(), "base64")).toHaveLength(32);
    expect(loadKeyring(loadConfig({ LATCHFLOW_DATA_DIR: dataDir }), logger).current.id).toBe(
      first.current.id,
    );
  });

  it("refuses a key file others may read, with the fix in the message", () => {
    const dataDir = tempDir();
    readOrCreateKeyFile(dataDir);
    const { current } = keyFilePaths(dataDir);
    chmodSync(current, 0o644);
    expect(() => loadKeyring(loadConfig({ LATCHFLOW_DATA_DIR: dataDir }), logger)).toThrow(
      `Key file ${current} has mode 0644; it must be readable by its owner only. Run: chmod 600 ${current}`,
    );
    chmodSync(current, 0o640);
    expect(() => readOrCreateKeyFile(dataDir)).toThrow(/mode 0640/);
    chmodSync(current, 0o400);
    expect(() => readOrCreateKeyFile(dataDir)).not.toThrow();
  });

  it("rotates the key file: the old key is retired (still loaded), then pruned when unused", () => {
    const dataDir = tempDir();
    const before = readOrCreateKeyFile(dataDir);
    const { retired, current } = rotateKeyFile(dataDir);
    expect(retired.id).toBe(before.id);
    expect(current.id).not.toBe(before.id);
    const ring = loadKeyring(loadConfig({ LATCHFLOW_DATA_DIR: dataDir }), logger);
    expect(ring.current.id).toBe(current.id);
    expect(ring.get(before.id)).toBeDefined();
    const retiredFile = join(keyFilePaths(dataDir).retired, `${before.id}.key`);
    expect(statSync(retiredFile).mode & 0o777).toBe(0o600);

    expect(pruneRetiredKeyFiles(dataDir, new Set([before.id]))).toEqual([]);
    expect(pruneRetiredKeyFiles(dataDir, new Set())).toEqual([before.id]);
    expect(loadKeyring(loadConfig({ LATCHFLOW_DATA_DIR: dataDir }), logger).get(before.id)).toBeUndefined();
  });

  it("refuses a retired key file with loose permissions too", () => {
    const dataDir = tempDir();
    readOrCreateKeyFile(dataDir);
    const { retired } = rotateKeyFile(dataDir);
    const path = join(keyFilePaths(dataDir).retired, `${retired.id}.key`);
    chmodSync(path, 0o664);
    expect(() => loadKeyring(loadConfig({ LATCHFLOW_DATA_DIR: dataDir }), logger)).toThrow(/mode 0664/);
    writeFileSync(path, "not a key", { mode: 0o600 });
    chmodSync(path, 0o600);
    expect(() => loadKeyring(loadConfig({ LATCHFLOW_DATA_DIR: dataDir }), logger)).toThrow(
      /not base64 of 32 bytes/,
    );
  });
});
