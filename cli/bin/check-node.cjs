// Stops at once, with one line, on a Node.js that Latchflow does not run on (ADR 016). Read by .pnpmfile.cjs
// before `pnpm install` resolves or builds anything, and by bin/latchflow.mjs before it imports anything.
// CommonJS in old syntax, so that any Node can read it.
"use strict";

const parts = process.versions.node.split(".");
const major = Number(parts[0]);
const minor = Number(parts[1]);
if (!(major === 24 || (major === 22 && minor >= 17))) {
  process.stderr.write(
    "Latchflow needs Node.js 24 LTS (or 22.17+ on the 22 line); this is Node " +
      process.versions.node +
      ".\n",
  );
  process.exit(1);
}
