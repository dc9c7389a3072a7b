import type { PluginSignatureData } from "@latchflow/bus";
import { conflict, type LatchflowError, permissionDenied, validationFailed } from "@latchflow/runtime";
import type { PackageSignature } from "./packages.js";

/**
 * What an install does with a package's signature (ADR 042). A broken signature is refused; unsigned and
 * untrusted packages install with a warning under "warn" and are refused under "require"; an upgrade whose signer
 * is not the installed version's key is refused whatever the setting (uninstall first to change publisher keys).
 */

export type SignaturePolicy = "warn" | "require";

export interface SignatureJudgement {
  /** the signature as events and the answer state it */
  data: PluginSignatureData;
  warnings: string[];
  /** set when the install must be refused */
  refusal?: LatchflowError;
}

export function judgeSignature(input: {
  signature: PackageSignature;
  /** the trusted key's name, when the signer's key is trusted */
  publisher: string | undefined;
  policy: SignaturePolicy;
  /** the installed version's signer, when this install is an upgrade */
  installed?: { version: string; fingerprint: string | null; keyId: string | null };
}): SignatureJudgement {
  const { signature, publisher, policy, installed } = input;
  if (signature.state === "broken") {
    return {
      data: { state: "broken" },
      warnings: [],
      refusal: validationFailed(`The package's signature does not hold: ${signature.error.message}`, {
        signature: signature.error.reason,
      }),
    };
  }
  const signed = signature.state === "signed" ? signature.signed : undefined;
  const data: PluginSignatureData = signed
    ? {
        state: publisher !== undefined ? "trusted" : "untrusted",
        keyId: signed.keyId,
        fingerprint: signed.fingerprint,
        signer: signed.signer,
        ...(publisher !== undefined ? { publisher } : {}),
      }
    : { state: "unsigned" };
  const warnings: string[] = [];
  let refusal: LatchflowError | undefined;
  if (signed === undefined) {
    const message =
      "The package is unsigned: nobody vouches for its code (authors sign with latchflow-plugin sign)";
    if (policy === "require")
      refusal = validationFailed(`${message}; LATCHFLOW_PLUGIN_SIGNATURES=require refuses it`, {
        signature: "unsigned",
      });
    else warnings.push(message);
  } else if (publisher === undefined) {
    const message = `The package is signed by ${signed.signer} (key ${signed.keyId}, ${signed.fingerprint}), a key no admin trusts (trust it with latchflow plugins keys add)`;
    if (policy === "require")
      refusal = permissionDenied(`${message}; LATCHFLOW_PLUGIN_SIGNATURES=require refuses it`, {
        signature: "untrusted",
        keyId: signed.keyId,
        fingerprint: signed.fingerprint,
      });
    else warnings.push(message);
  }
  if (refusal === undefined && installed?.fingerprint && installed.fingerprint !== signed?.fingerprint) {
    refusal = conflict(
      `Version ${installed.version} was signed by key ${installed.keyId}; this package is ${signed ? `signed by key ${signed.keyId}` : "unsigned"}. An upgrade must be signed by the same key: uninstall the plugin first to install it from another key`,
      {
        signature: "signer_changed",
        installedKeyId: installed.keyId,
        installedFingerprint: installed.fingerprint,
        ...(signed ? { keyId: signed.keyId, fingerprint: signed.fingerprint } : {}),
      },
    );
  }
  return { data, warnings, ...(refusal ? { refusal } : {}) };
}
