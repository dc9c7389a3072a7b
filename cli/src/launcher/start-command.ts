import { parseArgs } from "node:util";
import { ensureAdminBuilt } from "@latchflow/admin";
import { ensurePortalBuilt } from "@latchflow/portal";
import { type Config, createLogger, initTracing, loadConfig } from "@latchflow/runtime";
import { type Started, startEmbedded, startOne } from "./start.js";

/**
 * Waits for SIGINT/SIGTERM, then stops cleanly. Signals that arrive while stopping are ignored, not left to
 * Node's default (exit at once): a terminal's Ctrl-C reaches both this process and the parent that relaunched
 * it on a supported Node, which passes it on (bin/supported-node.cjs), so it arrives twice.
 */
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
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

/** The apps the gateway serves, each built from this checkout when no folder is configured (ADR 024, ADR 027). */
const APPS = [
  { key: "portalDir", title: "recipient portal", path: "/portal/", ensure: ensurePortalBuilt },
  { key: "adminDir", title: "admin app", path: "/admin/", ensure: ensureAdminBuilt },
] as const;

/**
 * The gateway serves the recipient portal and the admin app: without LATCHFLOW_PORTAL_DIR / LATCHFLOW_ADMIN_DIR,
 * the app of this checkout, built now when its sources changed since the last build. A failed build leaves that
 * app's path answering 503; the API still starts.
 */
async function prepareApps(config: Config, out: (line: string) => void): Promise<void> {
  for (const app of APPS) {
    if (config.http[app.key]) continue;
    try {
      const build = await app.ensure({ log: out });
      if (build.built) out(`Built the ${app.title} in ${(build.ms / 1000).toFixed(1)} s`);
      config.http[app.key] = build.dir;
    } catch (e) {
      out(`The ${app.title} could not be built; ${app.path} answers 503. ${(e as Error).message}`);
    }
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
  if (!values.service || values.service === "gateway") await prepareApps(config, out);
  const started = values.service
    ? await startOne(values.service, config, logger, out)
    : await startEmbedded(config, logger, out);
  if (started.url) {
    out(
      `Latchflow ${values.service ?? "is running"}${values.service ? " listening" : ""}: open ${started.url}`,
    );
    out(`  admin app ${started.url}/admin/ · recipient portal ${started.url}/portal/`);
  }
  if (started.grpcPort !== undefined)
    out(`Latchflow ${values.service} serving gRPC on ${config.grpc.host}:${started.grpcPort}`);
  const code = await untilSignal(started);
  await tracing.shutdown().catch(() => {});
  return code;
}
