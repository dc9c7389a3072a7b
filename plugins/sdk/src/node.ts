// Node-side tools for plugin authors: build, test, pack, publish. Never imported by plugin code.
export {
  type BuildOptions,
  type BuildResult,
  buildPlugin,
  forbidNodeBuiltins,
  isNodeBuiltin,
  manifestFromBundle,
  PluginBuildError,
} from "./build.js";
export { main } from "./cli.js";
export { integrityOf, type PackOptions, type PackResult, packPlugin } from "./pack.js";
export {
  type PublishOptions,
  type PublishResult,
  publishPlugin,
  REGISTRY_ENV,
} from "./publish.js";
export { createTestHost, type RunPluginOptions, runPlugin, type TestHostRecord } from "./run-plugin.js";
export { ScaffoldError, type ScaffoldOptions, scaffoldPlugin } from "./scaffold/scaffold.js";
export { signTarball, verifyTarball } from "./sign-package.js";
export {
  fingerprintOf,
  keyIdOf,
  rawPublicKey,
  SIGNATURE_FILE,
  SIGNATURE_FORMAT,
  type SignatureDocument,
  SignatureError,
  signFiles,
  type VerifiedSignature,
  verifyFiles,
} from "./signature.js";
export { DEFAULT_KEY_PATH, readSigningKey, type SigningKey, writeNewSigningKey } from "./signing-key.js";
export { type TarEntry, tar, untar } from "./tar.js";
