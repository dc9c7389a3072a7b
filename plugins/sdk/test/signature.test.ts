import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import {
  fingerprintOf,
  readSigningKey,
  SIGNATURE_FILE,
  SignatureError,
  type SigningKey,
  signFiles,
  signTarball,
  tar,
  untar,
  verifyFiles,
  verifyTarball,
  writeNewSigningKey,
} from "../src/node.js";

const dir = await mkdtemp(join(tmpdir(), "lf-sign-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

const files = () =>
  new Map<string, Uint8Array>([
    ["package/latchflow-plugin.json", Buffer.from('{"name":"x"}')],
    ["package/plugin.js", Buffer.from("globalThis.plugin = {};")],
  ]);

function keyOf(signer: string): SigningKey {
  const { privateKey } = generateKeyPairSync("ed25519");
  return { signer, privateKey } as SigningKey;
}

const signed = (key = keyOf("Acme")) => {
  const f = files();
  f.set(SIGNATURE_FILE, Buffer.from(JSON.stringify(signFiles(f, key.privateKey, key.signer))));
  return f;
};

const reason = (f: Map<string, Uint8Array>) => {
  try {
    verifyFiles(f);
  } catch (err) {
    if (err instanceof SignatureError) return err.reason;
    throw err;
  }
  return "verified";
};

const doc = (f: Map<string, Uint8Array>) =>
  JSON.parse(Buffer.from(f.get(SIGNATURE_FILE) ?? "").toString()) as Record<string, unknown>;

describe("package signatures", () => {
  it("a signed package verifies and names its key", () => {
    const f = signed();
    const v = verifyFiles(f);
    expect(v?.signer).toBe("Acme");
    expect(v?.fingerprint).toBe(fingerprintOf(v?.publicKey ?? ""));
    expect(v?.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(v?.keyId).toBe(v?.fingerprint.slice(7, 23));
  });

  it("a package without a signature is unsigned", () => {
    expect(verifyFiles(files())).toBeUndefined();
  });

  it("a changed, added or removed file is tampered", () => {
    const changed = signed();
    changed.set("package/plugin.js", Buffer.from("globalThis.plugin = { evil: 1 };"));
    expect(reason(changed)).toBe("tampered");
    const added = signed();
    added.set("package/extra.js", Buffer.from("1"));
    expect(reason(added)).toBe("tampered");
    const removed = signed();
    removed.delete("package/latchflow-plugin.json");
    expect(reason(removed)).toBe("tampered");
  });

  it("a signature made by another key than the one it names is a bad signature", () => {
    const f = signed(keyOf("Acme"));
    const other = doc(signed(keyOf("Mallory")));
    // Mallory's key and key id, Acme's signature bytes (and the reverse)
    f.set(
      SIGNATURE_FILE,
      Buffer.from(JSON.stringify({ ...doc(f), publicKey: other.publicKey, keyId: other.keyId })),
    );
    expect(reason(f)).toBe("bad_signature");
    const renamed = signed();
    renamed.set(SIGNATURE_FILE, Buffer.from(JSON.stringify({ ...doc(renamed), signer: "Someone Else" })));
    expect(reason(renamed)).toBe("bad_signature");
  });

  it("a malformed signature file is refused, never treated as unsigned", () => {
    const cases: unknown[] = [
      "not json",
      [],
      { ...doc(signed()), format: "other/1" },
      { ...doc(signed()), publicKey: "ed25519:AAAA" },
      { ...doc(signed()), keyId: "0000000000000000" },
      { ...doc(signed()), files: ["package/plugin.js"] },
      { ...doc(signed()), signature: "" },
    ];
    for (const c of cases) {
      const f = signed();
      f.set(SIGNATURE_FILE, Buffer.from(typeof c === "string" ? c : JSON.stringify(c)));
      expect(reason(f)).toBe("malformed");
    }
  });

  it("signTarball adds the signature to a tarball, replacing an older one", () => {
    const tgz = gzipSync(tar([...files()].map(([name, data]) => ({ name, data }))));
    const first = signTarball(tgz, keyOf("First")).tarball;
    const second = signTarball(first, keyOf("Second")).tarball;
    expect(verifyTarball(second)?.signer).toBe("Second");
    expect([...untar(gunzipSync(second)).keys()].filter((k) => k === SIGNATURE_FILE)).toHaveLength(1);
    expect(verifyTarball(tgz)).toBeUndefined();
  });

  it("keygen's files: private key 0600 holding the signer, public key one line; never overwritten", async () => {
    const path = join(dir, "keys", "acme.key");
    const made = await writeNewSigningKey(path, "Acme Ltd");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readFile(`${path}.pub`, "utf8")).trim()).toBe(made.publicKey);
    const key = await readSigningKey(path);
    expect(key).toMatchObject({ signer: "Acme Ltd", publicKey: made.publicKey, keyId: made.keyId });
    await expect(writeNewSigningKey(path, "Other")).rejects.toThrow(/exists/);
    expect((await readSigningKey(path)).publicKey).toBe(made.publicKey);
    await expect(readSigningKey(join(dir, "missing.key"))).rejects.toThrow(/keygen/);
    await expect(readSigningKey(`${path}.pub`)).rejects.toThrow(/not a signing key/);
  });
});
