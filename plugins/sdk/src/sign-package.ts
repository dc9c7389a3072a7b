import { gunzipSync, gzipSync } from "node:zlib";
import {
  SIGNATURE_FILE,
  type SignatureDocument,
  signFiles,
  type VerifiedSignature,
  verifyFiles,
} from "./signature.js";
import type { SigningKey } from "./signing-key.js";
import { tar, untar } from "./tar.js";

/** Signing and verifying a whole tarball (gzip'd ustar), as `pack` writes it or a registry serves it. */

/** The tarball signed: its files, then `package/latchflow-signature.json` (an older signature is replaced). */
export function signTarball(
  tarball: Uint8Array,
  key: SigningKey,
): { tarball: Buffer; signature: SignatureDocument } {
  const files = untar(gunzipSync(tarball));
  files.delete(SIGNATURE_FILE);
  const signature = signFiles(files, key.privateKey, key.signer);
  const entries = [...files].map(([name, data]) => ({ name, data }));
  entries.push({ name: SIGNATURE_FILE, data: Buffer.from(`${JSON.stringify(signature, null, 2)}\n`) });
  return { tarball: gzipSync(tar(entries), { level: 9 }), signature };
}

/** Who signed a tarball (`undefined`: unsigned); a `SignatureError` when its signature does not hold. */
export function verifyTarball(tarball: Uint8Array): VerifiedSignature | undefined {
  return verifyFiles(untar(gunzipSync(tarball)));
}
