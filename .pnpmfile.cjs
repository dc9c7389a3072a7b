// pnpm runs this before it resolves or builds anything: refuse an unsupported Node with one line (ADR 016).
require("./cli/bin/check-node.cjs");

module.exports = { hooks: {} };
