// pnpm runs this before it resolves or builds anything. On a Node that Latchflow does not run on, the install
// builds nothing that would compile against it; `pnpm start` and `pnpm test` then run on the pinned Node 24
// (cli/bin/supported-node.cjs, ADR 081).
const { installConfig } = require("./cli/bin/supported-node.cjs");

module.exports = { hooks: { updateConfig: installConfig } };
