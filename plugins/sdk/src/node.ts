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
export { type TarEntry, tar, untar } from "./tar.js";
