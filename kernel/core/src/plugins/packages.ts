import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { PluginApiVersionError, type PluginManifest, parseManifest } from "@latchflow/plugin-sdk";
import { SignatureError, untar, type VerifiedSignature, verifyFiles } from "@latchflow/plugin-sdk/node";
import { ErrorCode, LatchflowError, notFound, validationFailed } from "@latchflow/runtime";
import { type DownloadLimits, downloadVetted, vetTarballUrl } from "./registry-download.js";

/** Plugin packages: the tarball `latchflow-plugin pack` makes (or npm serves), read and verified. */

/** How much larger than the tarball its unpacked content may be. */
const MAX_EXPANSION = 5;

/** The largest package document read from the registry (npm's documents of busy packages reach a few MiB). */
const MAX_PACKAGE_DOCUMENT = 32 * 1024 * 1024;

/** npm's abbreviated package document (what `npm install` asks for: versions with their `dist`), else the full one. */
const ABBREVIATED_DOCUMENT = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*";

/** Reads a registry JSON answer with a byte limit: more is `payload_too_large`, never buffered whole. */
async function readJsonCapped(res: Response, maxBytes: number): Promise<unknown> {
  const tooLarge = () =>
    new LatchflowError(
      ErrorCode.PayloadTooLarge,
      `The registry's package document is larger than ${maxBytes} bytes`,
    );
  if (Number(res.headers.get("content-length") ?? 0) > maxBytes) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body) {
    for await (const chunk of res.body) {
      size += chunk.byteLength;
      if (size > maxBytes) {
        await res.body.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(chunk);
    }
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (err) {
    throw new LatchflowError(
      ErrorCode.Unavailable,
      "The registry answered with a document that is not JSON",
      {
        cause: err,
      },
    );
  }
}

/** `sha512-<base64>`, npm's `dist.integrity` format. */
export const integrityOf = (data: Uint8Array) =>
  `sha512-${createHash("sha512").update(data).digest("base64")}`;

/** A package's signature as read: who signed it, none, or why it does not hold (ADR 042). */
export type PackageSignature =
  | { state: "signed"; signed: VerifiedSignature }
  | { state: "unsigned" }
  | { state: "broken"; error: SignatureError };

/**
 * The manifest (validated like `definePlugin` does), the bundled code and the signature (verified over the same
 * files) of a package tarball.
 */
export function readPackage(
  tarball: Uint8Array,
  maxBytes: number,
): { manifest: PluginManifest; code: string; signature: PackageSignature } {
  let files: Map<string, Buffer>;
  try {
    files = untar(gunzipSync(tarball, { maxOutputLength: MAX_EXPANSION * maxBytes }));
  } catch (err) {
    throw validationFailed(`The tarball cannot be read: ${(err as Error).message}`);
  }
  const manifestFile = files.get("package/latchflow-plugin.json");
  const code = files.get("package/plugin.js");
  if (!manifestFile || !code) {
    throw validationFailed("The tarball must hold package/latchflow-plugin.json and package/plugin.js");
  }
  let manifest: PluginManifest;
  try {
    manifest = parseManifest(JSON.parse(manifestFile.toString("utf8")));
  } catch (err) {
    if (err instanceof PluginApiVersionError) {
      // the compatibility rule (ADR 040): say which API versions this server takes
      throw validationFailed(err.message, {
        field: "apiVersion",
        apiVersion: err.apiVersion ?? null,
        supported: [...err.supported],
      });
    }
    throw validationFailed((err as Error).message);
  }
  return { manifest, code: code.toString("utf8"), signature: signatureOf(files) };
}

function signatureOf(files: ReadonlyMap<string, Uint8Array>): PackageSignature {
  try {
    const signed = verifyFiles(files);
    return signed ? { state: "signed", signed } : { state: "unsigned" };
  } catch (err) {
    if (err instanceof SignatureError) return { state: "broken", error: err };
    throw err;
  }
}

/**
 * Downloads `name[@version]` from an npm registry: the version's tarball and the sha512 integrity the registry
 * publishes for it (the caller verifies the bytes against it). Only sha512 integrities are accepted. The
 * tarball URL goes through the egress guard (see `vetTarballUrl`) and is read with a byte limit.
 */
export async function fetchFromRegistry(
  spec: string,
  registry: string,
  get: typeof fetch,
  limits: DownloadLimits,
): Promise<{ name: string; bytes: Uint8Array; integrity: string }> {
  const m = /^((?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*)(?:@([0-9A-Za-z.+-]+))?$/.exec(spec.trim());
  if (!m) throw validationFailed("spec must be <package> or <package>@<version>", { field: "spec" });
  const [, name = "", version] = m;
  const base = registry.replace(/\/$/, "");
  const unavailable = (what: string, cause?: unknown) =>
    new LatchflowError(ErrorCode.Unavailable, `The registry did not answer ${what}`, { cause });
  // the configured registry is the operator's choice (it may be on 127.0.0.1), but nothing it answers may lead
  // elsewhere: no redirects (a 3xx is "unavailable"), and tarball URLs on other hosts pass the egress guard
  const res = await get(`${base}/${name.replace("/", "%2f")}`, {
    signal: AbortSignal.timeout(30_000),
    redirect: "error",
    headers: { accept: ABBREVIATED_DOCUMENT },
  }).catch((err) => {
    throw unavailable("the package lookup", err);
  });
  if (res.status === 404) throw notFound("No such package in the registry", { package: name });
  if (!res.ok) throw unavailable(`the package lookup (HTTP ${res.status})`);
  const doc = (await readJsonCapped(res, limits.maxDocumentBytes ?? MAX_PACKAGE_DOCUMENT)) as {
    "dist-tags"?: Record<string, string>;
    versions?: Record<string, { dist?: { tarball?: string; integrity?: string } }>;
  };
  const chosen = version ?? doc["dist-tags"]?.latest;
  const dist = chosen ? doc.versions?.[chosen]?.dist : undefined;
  if (!dist?.tarball) throw notFound("No such version in the registry", { package: name, version: chosen });
  if (!dist.integrity?.startsWith("sha512-")) {
    throw new LatchflowError(
      ErrorCode.IntegrityFailed,
      "The registry gives no sha512 integrity for this version",
    );
  }
  const target = await vetTarballUrl(dist.tarball, registry, limits.resolve);
  const bytes = await downloadVetted(target, limits);
  return { name, bytes: new Uint8Array(bytes), integrity: dist.integrity };
}
