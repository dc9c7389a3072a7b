import { parseArgs } from "node:util";
import { ensurePortalBuilt } from "@latchflow/portal";
import { type Config, createLogger, initTracing, loadConfig } from "@latchflow/runtime";
import { audit } from "./audit.js";
import { keys } from "./keys.js";
import { type Started, startEmbedded, startOne } from "./start.js";

const USAGE = `Usage: latchflow <command> [options]

Commands:
  start                      Start everything in one process (embedded: SQLite, in-process bus, local files)
  start --service <name>     Start one service: auth, bundles, storage, audit, kernel or gateway
  keys <command>             Master keys: status, rotate, prune, generate (latchflow keys help)
  audit <command>            Audit log: verify (also an export offline), checkpoint, public-key (latchflow audit help)
  help                       Show this help

Configuration comes from LATCHFLOW_* environment variables (see README).`;

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

/** Waits for SIGINT/SIGTERM, then stops cleanly. */
function untilSignal(started: Started): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = () => {
      if (stopping) return;
      stopping = true;
      started.stop().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
}

/**
 * The gateway serves the recipient portal: without LATCHFLOW_PORTAL_DIR, the portal in this checkout, built now
 * if its sources changed since the last build (ADR 024). A failed build leaves `/portal/` answering 503.
 */
async function preparePortal(config: Config): Promise<void> {
  if (config.http.portalDir) return;
  try {
    const build = await ensurePortalBuilt({ log: out });
    if (build.built) out(`Built the recipient portal in ${(build.ms / 1000).toFixed(1)} s`);
    config.http.portalDir = build.dir;
  } catch (e) {
    err(`The recipient portal could not be built; /portal/ will answer 503. ${(e as Error).message}`);
  }
}

async function start(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { service: { type: "string" } }, strict: true });
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });
  const tracing = initTracing({
    exporter: config.observability.traceExporter,
    otlpEndpoint: config.observability.otlpEndpoint,
    serviceName: values.service ? `latchflow-${values.service}` : "latchflow",
  });
  if (!values.service || values.service === "gateway") await preparePortal(config);
  const started = values.service
    ? await startOne(values.service, config, logger, out)
    : await startEmbedded(config, logger, out);
  if (started.url)
    out(
      `Latchflow ${values.service ?? "is running"}${values.service ? " listening" : ""}: open ${started.url}`,
    );
  if (started.grpcPort !== undefined)
    out(`Latchflow ${values.service} serving gRPC on ${config.grpc.host}:${started.grpcPort}`);
  const code = await untilSignal(started);
  await tracing.shutdown().catch(() => {});
  return code;
}

/** Entry point of the `latchflow` command; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "start":
        return await start(rest);
      case "keys":
        return await keys(rest, out, err);
      case "audit":
        return await audit(rest, out, err);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        out(USAGE);
        return 0;
      default:
        err(`Unknown command "${command}".\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    err(`latchflow: ${(e as Error).message}`);
    return 1;
  }
}
