import { parseArgs } from "node:util";
import { createLogger, initTracing, loadConfig } from "@latchflow/runtime";
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
