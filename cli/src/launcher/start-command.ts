import { parseArgs } from "node:util";
import { ensurePortalBuilt } from "@latchflow/portal";
import { type Config, createLogger, initTracing, loadConfig } from "@latchflow/runtime";
import { type Started, startEmbedded, startOne } from "./start.js";

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
 * The gateway serves the recipient portal: without LATCHFLOW_PORTAL_DIR, the portal of this checkout, built now
 * when its sources changed since the last build (ADR 024). A failed build leaves `/portal/` answering 503.
 */
async function preparePortal(config: Config, out: (line: string) => void): Promise<void> {
  if (config.http.portalDir) return;
  try {
    const build = await ensurePortalBuilt({ log: out });
    if (build.built) out(`Built the recipient portal in ${(build.ms / 1000).toFixed(1)} s`);
    config.http.portalDir = build.dir;
  } catch (e) {
    out(`The recipient portal could not be built; /portal/ answers 503. ${(e as Error).message}`);
  }
}

/** `latchflow start [--service <name>]`: runs until SIGINT/SIGTERM; resolves with the exit code. */
export async function startCommand(args: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({ args, options: { service: { type: "string" } }, strict: true });
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });
  const tracing = initTracing({
    exporter: config.observability.traceExporter,
    otlpEndpoint: config.observability.otlpEndpoint,
    serviceName: values.service ? `latchflow-${values.service}` : "latchflow",
  });
  if (!values.service || values.service === "gateway") await preparePortal(config, out);
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
