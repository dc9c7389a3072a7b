// The files `latchflow-plugin init` writes: a plugin following the naming rule, its test, a README and a
// package.json whose scripts build, test, pack and publish. Plain templates; `scaffold.ts` writes them.

export interface ScaffoldValues {
  /** the package name, `latchflow-plugin-<name>` */
  name: string;
  /** the SDK's own version: the plugin depends on `^<sdkVersion>` */
  sdkVersion: string;
}

export function scaffoldFiles({ name, sdkVersion }: ScaffoldValues): Record<string, string> {
  const short = name.replace(/^latchflow-plugin-/, "");
  const packageJson = {
    name,
    version: "1.0.0",
    description: `Latchflow plugin ${short}: the action hello@1`,
    type: "module",
    files: ["dist", "README.md"],
    scripts: {
      build: "latchflow-plugin build",
      test: 'latchflow-plugin build && node --no-node-snapshot --test "test/*.test.mjs"',
      pack: "latchflow-plugin pack",
      release: "latchflow-plugin publish",
    },
    devDependencies: { "@latchflow/plugin-sdk": `^${sdkVersion}` },
  };
  return {
    "package.json": `${JSON.stringify(packageJson, null, 2)}\n`,
    "src/index.ts": indexTs(name),
    "test/hello.test.mjs": HELLO_TEST,
    "README.md": readme(name),
    ".gitignore": "node_modules/\ndist/\n*.tgz\n",
    "tsconfig.json": `${JSON.stringify(TSCONFIG, null, 2)}\n`,
  };
}

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  },
  include: ["src"],
};

function indexTs(name: string): string {
  return `import { actionInput, definePlugin, type Host } from "@latchflow/plugin-sdk";

// One plugin, one capability. Pipelines use it as \`${name}/hello@1\` (or \`hello@1\` when no other plugin
// has a hello@1). Keep \`name\` and \`version\` equal to package.json's.
export default definePlugin({
  name: ${JSON.stringify(name)},
  version: "1.0.0",
  permissions: [{ name: "log", reason: "say whom it greeted" }],
  capabilities: {
    "hello@1": {
      kind: "action",
      configSchema: {
        type: "object",
        required: ["name"],
        properties: { name: { type: "string", minLength: 1 } },
      },
      outputsSchema: { type: "object", properties: { greeting: { type: "string" } } },
      docs: "Greets \`name\`; the greeting is the step's output \`greeting\`.",
      run(input, host: Host) {
        // The server passes { config, trigger, steps, run, step, pipeline, now, portalUrl }: \`config\` is the
        // step's \`with:\` block.
        const { config } = actionInput(input);
        const greeting = \`Hello, \${String(config.name)}!\`;
        host.log("info", "greeted", { name: String(config.name) });
        return { greeting };
      },
    },
  },
});
`;
}

const HELLO_TEST = `import assert from "node:assert/strict";
import { test } from "node:test";
import { createHarness } from "@latchflow/plugin-sdk/testing";

// Runs the built plugin (npm test builds it first) as the server would: the server's input, recorded host
// capabilities with the server's rules, the manifest's limits, the same sandbox.
test("hello@1 greets the name of its config", async () => {
  const h = await createHarness({ file: "dist/plugin.js" });
  try {
    const out = await h.action("hello@1", { config: { name: "Ada" } });
    assert.equal(out.status, "succeeded");
    assert.deepEqual(out.outputs, { greeting: "Hello, Ada!" });
    assert.deepEqual(
      h.state.logs.map((l) => l.message),
      ["greeted"],
    );
  } finally {
    h.close();
  }
});
`;

function readme(name: string): string {
  return `# ${name}

A Latchflow plugin with one action, \`hello@1\`: it greets the \`name\` of its configuration.

\`\`\`yaml
steps:
  - id: greet
    uses: ${name}/hello@1
    with:
      name: Ada
\`\`\`

## Develop

\`\`\`sh
npm install
npm test        # builds dist/plugin.js and runs test/ in the sandbox the server uses
npm run pack    # writes ${name}-<version>.tgz and prints its sha512 integrity
\`\`\`

Capability keys follow the naming rule \`<name>@<major>\` (lowercase letters, digits and dashes). Bump the
major for a breaking change of the configuration; keep \`name\` and \`version\` in src/index.ts equal to
package.json's.

## Publish

\`\`\`sh
npx latchflow-plugin publish --registry "$LATCHFLOW_PLUGIN_REGISTRY"
\`\`\`

An operator then installs it with \`latchflow plugins install ${name}@<version>\`.
`;
}
