// Which Node.js Latchflow runs on, and what happens on any other (ADR 016, ADR 081). Supported: 24 LTS, and
// 22.17+ on the 22 line. On another Node (the end-of-life 20, say) the `latchflow` command and `pnpm test` run
// on the pinned Node 24 instead, taken once from the npm registry package node-<os>-<arch> (the official
// binary) into a cache folder; LATCHFLOW_NODE_FETCH=off refuses in one line instead, as does a machine where
// the fetch cannot work. `.pnpmfile.cjs` uses `installConfig` so that `pnpm install` on such a Node builds
// nothing (isolated-vm's install step would compile against the wrong Node).
//
// As a command:
//   node cli/bin/supported-node.cjs --bin [24|22]      prints the bin folder of a Node of that line (.ci/get-node)
//   node cli/bin/supported-node.cjs -- <cmd> [args…]   runs <cmd> with a supported `node` first on PATH
// CommonJS, so that any Node from 12 on can read it and run it before anything is installed.
"use strict";

const childProcess = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const PINNED = { 24: "24.22.3", 22: "22.23.5" };
const NEEDED = "Latchflow needs Node.js 24 LTS (or 22.17+ on the 22 line)";

function isSupported(version) {
  const parts = version.split(".");
  const major = Number(parts[0]);
  const minor = Number(parts[1]);
  return major === 24 || (major === 22 && minor >= 17);
}

function cacheRoot() {
  if (process.env.LATCHFLOW_NODE_CACHE) return process.env.LATCHFLOW_NODE_CACHE;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "latchflow", "node");
}

// The npm package holding the official Node binary for this machine, or an Error saying why there is none.
function nodePackage() {
  const oses = { linux: "linux", darwin: "darwin" };
  const arches = { x64: "x64", arm64: "arm64" };
  const osName = oses[process.platform];
  const arch = arches[process.arch];
  if (!osName || !arch) return new Error(`no Node package for ${process.platform}-${process.arch}`);
  return `node-${osName}-${arch}`;
}

// Where the pinned Node of `line` lives (or will) in the cache folder `root`: { version, pkg, prefix, bin, node }
// (`node` is the executable in `bin`) or an Error.
function pinnedLocation(line, root = cacheRoot()) {
  const version = PINNED[line];
  if (!version) return new Error(`no pinned Node for line ${line} (24 or 22)`);
  const pkg = nodePackage();
  if (pkg instanceof Error) return pkg;
  const prefix = path.join(root, version);
  const bin = binOf(prefix, pkg);
  return { version, pkg, prefix, bin, node: path.join(bin, "node") };
}

function binOf(prefix, pkg) {
  return path.join(prefix, "node_modules", pkg, "bin");
}

// Throws unless the `node` in `bin` answers --version with `version`.
function checkVersion(bin, version) {
  const node = path.join(bin, "node");
  const check = childProcess.spawnSync(node, ["--version"], { encoding: "utf8" });
  if (check.status !== 0 || check.stdout.trim() !== `v${version}`) {
    throw new Error(`${node} does not run as Node ${version}`);
  }
}

// Private folders of fetches that were killed midway (~190 MB each): a fetch takes seconds, so one older than an
// hour is no longer anyone's.
function removeAbandonedStaging(root, version) {
  const hourAgo = Date.now() - 3600_000;
  for (const name of fs.readdirSync(root)) {
    if (!name.startsWith(`.${version}-`)) continue;
    const folder = path.join(root, name);
    try {
      if (fs.statSync(folder).mtimeMs < hourAgo) fs.rmSync(folder, { recursive: true, force: true });
    } catch {
      // removed by another fetch meanwhile
    }
  }
}

// Installs the pinned Node into a private folder beside `where.prefix`, checks it, then renames it into place, so
// the cache only ever holds a whole, checked Node; two first starts at once each fetch, and the second rename
// finds the first one's folder and keeps it. A folder left by an older, interrupted fetch is replaced.
function fetchInto(where) {
  const spec = `${where.pkg}@${where.version}`;
  process.stderr.write(
    `fetching Node ${where.version} from the npm registry (${spec}) into ${where.prefix}\n`,
  );
  const root = path.dirname(where.prefix);
  fs.mkdirSync(root, { recursive: true });
  removeAbandonedStaging(root, where.version);
  const staging = fs.mkdtempSync(path.join(root, `.${where.version}-`));
  try {
    const args = [
      "install",
      "--prefix",
      staging,
      "--no-save",
      "--no-package-lock",
      "--no-audit",
      "--no-fund",
      spec,
    ];
    const r = childProcess.spawnSync("npm", args, { stdio: ["ignore", process.stderr, "inherit"] });
    if (r.error || r.status !== 0) {
      throw new Error(`npm install ${spec} failed${r.error ? `: ${r.error.message}` : ""}`);
    }
    checkVersion(binOf(staging, where.pkg), where.version);
    fs.chmodSync(staging, 0o755); // mkdtemp's 0700 would keep other users of a shared cache out
    const stale = fs.existsSync(where.prefix) && !fs.existsSync(where.node);
    if (stale) fs.rmSync(where.prefix, { recursive: true, force: true });
    try {
      fs.renameSync(staging, where.prefix);
    } catch (error) {
      // another fetch put its Node there first
      if (!fs.existsSync(where.node)) throw error;
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

// The bin folder of a Node of `line`: this process's own when it is of that line, else the pinned one, fetched
// into the cache when missing (progress on stderr). Throws an Error saying why when that cannot be done.
function nodeBin(line) {
  if (process.versions.node.split(".")[0] === String(line) && isSupported(process.versions.node)) {
    return path.dirname(process.execPath);
  }
  const where = pinnedLocation(line);
  if (where instanceof Error) throw where;
  if (fs.existsSync(where.node)) {
    checkVersion(where.bin, where.version); // a cache changed by hand since it was fetched
  } else {
    if (process.env.LATCHFLOW_NODE_FETCH === "off") throw new Error("LATCHFLOW_NODE_FETCH=off");
    fetchInto(where); // checks the Node it fetched
  }
  return where.bin;
}

// The bin folder of a supported Node for running Latchflow: this process's own, or the pinned Node 24 after one
// line saying so. On failure: the refusal line and why, then exit 1.
function supportedNodeBin() {
  if (isSupported(process.versions.node)) return path.dirname(process.execPath);
  const refusal = `${NEEDED}; this is Node ${process.versions.node}.\n`;
  try {
    const bin = nodeBin(24);
    process.stderr.write(
      `Node ${process.versions.node} is not one Latchflow runs on; running on Node ${PINNED[24]} (${bin}).\n`,
    );
    return bin;
  } catch (error) {
    process.stderr.write(`${refusal}Could not use Node ${PINNED[24]} instead: ${error.message}.\n`);
    process.exit(1);
  }
}

function withNodeFirst(bin) {
  return { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH || ""}` };
}

// Runs `command args` as a child with the Node of `bin` first on PATH, passing on the signals a terminal or a
// supervisor sends, and ends this process as the child ended.
function runWithNode(bin, command, args) {
  // Windows finds `pnpm` (pnpm.cmd) only through a shell
  const shell = process.platform === "win32";
  const child = childProcess.spawn(command, args, { stdio: "inherit", env: withNodeFirst(bin), shell });
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const signal of signals) process.on(signal, () => child.kill(signal));
  child.on("error", (error) => {
    process.stderr.write(`could not run ${command}: ${error.message}\n`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    if (signal) {
      for (const s of signals) process.removeAllListeners(s);
      process.kill(process.pid, signal);
    }
    process.exit(code === null ? 1 : code);
  });
}

// For bin/latchflow.mjs: on an unsupported Node, the same command again on the pinned Node 24 (returns true; this
// process then ends with the child). On a supported Node, false.
function relaunchOnSupportedNode() {
  if (isSupported(process.versions.node)) return false;
  const bin = supportedNodeBin();
  runWithNode(bin, path.join(bin, "node"), process.execArgv.concat(process.argv.slice(1)));
  return true;
}

// pnpm's updateConfig hook (.pnpmfile.cjs): on an unsupported Node, the same config without isolated-vm's build,
// which would compile against that Node and fail; its prebuilt binaries for 22 and 24 ship in the package and
// load at run time on the Node the command runs on.
function installConfig(config) {
  if (isSupported(process.versions.node)) return config;
  process.stderr.write(
    `Node ${process.versions.node} is not one Latchflow runs on: installing without building isolated-vm; ` +
      `\`pnpm start\` and \`pnpm test\` will run on Node ${PINNED[24]} from the npm registry.\n`,
  );
  return { ...config, allowBuilds: { ...config.allowBuilds, "isolated-vm": false } };
}

module.exports = { PINNED, isSupported, pinnedLocation, nodeBin, relaunchOnSupportedNode, installConfig };

if (require.main === module) {
  const argv = process.argv.slice(2);
  if (argv[0] === "--bin") {
    try {
      process.stdout.write(`${nodeBin(argv[1] || "24")}\n`);
    } catch (error) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
  } else if (argv[0] === "--" && argv.length > 1) {
    runWithNode(supportedNodeBin(), argv[1], argv.slice(2));
  } else {
    process.stderr.write("usage: supported-node.cjs --bin [24|22] | -- <command> [args…]\n");
    process.exit(2);
  }
}
