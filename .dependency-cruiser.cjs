// The design's "nevers", checked on every `pnpm test` (`pnpm deps:check`; ADR 019). Each rule names the boundary
// it guards; a violation prints the rule's name, its comment and the offending import.
//
// Paths are repository-relative. A workspace package imported by name (`@latchflow/runtime`) resolves, through
// pnpm's symlink, to its real file (`kernel/runtime/src/index.ts`), so the rules below speak of folders, and
// the dependency type tells the two ways in apart: "local" is a relative import, a package-name import is not.

/** The folders that are workspace packages (each reached by others only through its package name). */
const PACKAGE =
  "(proto|kernel/[^/]+|services/[^/]+|plugins/[^/]+|cli|e2e|deploy/local|api|admin|portal|vscode-extension)";

/** Server-side code that apps and operator commands never import: they reach it only through REST. */
const SERVER_SIDE = [
  "^services/",
  "^proto/", // @latchflow/proto
  "^kernel/(runtime|core|bus|sandbox|plugin-host)/", // @latchflow/runtime, kernel, bus, sandbox, plugin-host
  "^cli/src/launcher/", // the launcher imports all of the above
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "services-never-import-each-other",
      comment:
        "A service never imports another service, by package name or by path: services talk through the " +
        "gRPC clients generated from proto/ or through events on the bus (ARCHITECTURE, STYLE 'Boundaries').",
      severity: "error",
      from: { path: "^services/([^/]+)/" },
      to: { path: "^services/", pathNot: "^services/$1/" },
    },
    {
      name: "kernel-holds-no-domain-code",
      comment:
        "The kernel (kernel/*: runtime, bus, core, spec, sandbox, plugin-host, testing) routes and runs but knows " +
        "no domain: it never imports a service. Domain rules live in services/*.",
      severity: "error",
      from: { path: "^kernel/" },
      to: { path: "^services/" },
    },
    {
      name: "no-relative-import-across-packages",
      comment:
        "A package reaches another only through its package name (and the entry points its package.json " +
        "`exports` names), never by a relative path into the other's files (`../../kernel/spec/src/…`): that " +
        "skips the other's public door and its declared dependency.",
      severity: "error",
      from: { path: `^${PACKAGE}/` },
      to: { dependencyTypes: ["local"], pathNot: "^$1/" },
    },
    {
      name: "plugins-never-reach-into-kernel-sources",
      comment:
        "Plugins are bundled into the sandbox: what they need of the kernel comes through a package entry " +
        "point (e.g. `@latchflow/spec/duration`), never a relative path into kernel/*/src.",
      severity: "error",
      from: { path: "^plugins/" },
      to: { dependencyTypes: ["local"], path: "^kernel/[^/]+/src/" },
    },
    {
      name: "apps-and-operator-commands-only-through-rest",
      comment:
        "The CLI's operator commands, admin, portal and the VS Code extension reach the system only through " +
        "REST, with @latchflow/api's client (and @latchflow/spec to validate offline): never a service, the " +
        "runtime, the kernel, the bus, the gRPC contracts or the CLI's launcher. Their tests (test/, *.test.ts) " +
        "may start a real backend through @latchflow/e2e.",
      severity: "error",
      from: {
        path: "^(cli/src/commands|admin|portal|vscode-extension)/",
        pathNot: ["(^|/)(test|tests|e2e)/", "\\.(test|spec)\\.ts$"],
      },
      to: { path: SERVER_SIDE },
    },
    {
      name: "client-side-packages-stay-client-side",
      comment:
        "@latchflow/api (the REST contract and client) and @latchflow/spec (offline pipeline validation) are " +
        "what apps and operator commands may import, in Node and in browsers: they never import server code " +
        "themselves, or the rule above would be bypassed one step removed.",
      severity: "error",
      from: { path: "^(api|kernel/spec)/", pathNot: ["(^|/)test/", "\\.test\\.ts$"] },
      to: { path: SERVER_SIDE },
    },
    {
      name: "language-functions-stay-pure",
      comment:
        "The VS Code extension's language features (vscode-extension/src/language) are pure functions over a " +
        "document's text, tested without an editor: they never import the editor API (`vscode`), the LSP " +
        "packages (vscode-languageserver*, vscode-languageclient, vscode-jsonrpc) or the extension's server and " +
        "client code; src/server's thin handlers call them.",
      severity: "error",
      from: { path: "^vscode-extension/src/language/" },
      to: {
        path: [
          "^vscode$", // the editor API: provided by the extension host, never installed
          "(^|/)node_modules/@types/vscode/",
          "(^|/)node_modules/vscode-(languageserver|languageserver-protocol|languageserver-textdocument|languageclient|jsonrpc)/",
          "^vscode-extension/src/(server|client)/",
        ],
      },
    },
    {
      name: "extension-client-stays-a-client",
      comment:
        "The VS Code extension's client (src/client, bundled into the editor's extension host) only starts the " +
        "language server: it never imports the server or the language functions, which run in the server process.",
      severity: "error",
      from: { path: "^vscode-extension/src/client/" },
      to: { path: ["^vscode-extension/src/(server|language)/", "^kernel/"] },
    },
    {
      name: "cli-dispatcher-stays-light",
      comment:
        "cli/src/main.ts is loaded by every `latchflow` command: it imports the launcher (and through it the " +
        "services and runtime) only with `await import(…)` for the commands that need it.",
      severity: "error",
      from: { path: "^cli/src/main\\.ts$" },
      to: { path: ["^cli/src/launcher/", "^services/", "^proto/", "^kernel/"], dynamic: false },
    },
    {
      name: "operator-commands-load-the-contract-lazily",
      comment:
        "An operator command starts without evaluating the REST contract's schemas (a third of a `bundles list`, " +
        "ADR 023): cli/src/commands imports @latchflow/api's index only for types or with `await import(…)` " +
        "(command.ts: shape, contract); run-time values come from its zod-free subpaths (client, scopes, rules).",
      severity: "error",
      from: { path: "^cli/src/commands/", pathNot: "\\.test\\.ts$" },
      to: {
        path: "^api/src/(index|operations/|schemas|openapi)",
        dynamic: false,
        dependencyTypesNot: ["type-only"],
      },
    },
    {
      name: "the-nats-client-is-loaded-lazily",
      comment:
        "The embedded server runs on the in-process bus and never loads the NATS client (ADR 077): outside the " +
        "bus package and the tests, @latchflow/bus/nats is imported only for types or with `await import(…)`.",
      severity: "error",
      from: { pathNot: ["^kernel/(bus|testing)/", "/test/", "^bench/", "^e2e/"] },
      to: {
        path: ["^kernel/bus/src/(nats\\.ts|nats-bus\\.ts|nats/)", "node_modules/@nats-io/"],
        dynamic: false,
        dependencyTypesNot: ["type-only"],
      },
    },
    {
      name: "no-circular-between-packages",
      comment:
        "No import cycle runs through two packages: a package and its dependencies form a tree (cycles inside " +
        "one package are that package's business).",
      severity: "error",
      from: { path: `^${PACKAGE}/` },
      to: { circular: true, via: { pathNot: "^$1/" } },
    },
    {
      name: "imports-resolve",
      comment:
        "Every import resolves to a file. Keeps this check honest: an import it cannot follow is one no rule " +
        "above could judge.",
      severity: "error",
      from: {},
      to: {
        couldNotResolve: true,
        // SvelteKit's virtual modules ($app/*, ./$types) and the app's generated message catalogs exist only
        // inside a build (the apps' own type check, svelte-check, resolves them); `vscode` is the editor API the
        // extension host provides (its types come from @types/vscode)
        pathNot: ["^vscode$", "^\\$app/", "/\\$types$", "^\\./\\$types$", "^#lib/paraglide/"],
      },
    },
  ],
  options: {
    // Only the workspace's own files: third-party packages are neither followed nor reported.
    doNotFollow: { path: "(^|/)node_modules/" },
    // …except the editor API and the LSP packages, kept in the graph as leaves so that
    // language-functions-stay-pure can see an import of them
    exclude: {
      path: [
        "(^|/)node_modules/(?!vscode-|@types/vscode/|\\.pnpm/vscode-|\\.pnpm/@types\\+vscode@)",
        "(^|/)(dist|\\.latchflow|\\.tmp|\\.git)/",
      ],
    },
    // NodeNext sources: `./x.js` in an import names `./x.ts` (dependency-cruiser maps .js to .ts itself when
    // the .js file does not exist); the tsconfig gives it the compiler's module resolution.
    tsConfig: { fileName: "tsconfig.json" },
    // type-only imports count: a type import from another service is a dependency on it too
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      // packages are reached through their package.json `exports` (one public door each)
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".d.ts"],
      mainFields: ["module", "main", "types", "typings"],
    },
  },
};
