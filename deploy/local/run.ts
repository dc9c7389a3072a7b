// Starts every Latchflow service as its own OS process against local PostgreSQL and NATS.
// Usage: pnpm local:distributed   (Ctrl-C stops them all)
import { launch } from "./launcher.js";

const env: Record<string, string> = {
  LATCHFLOW_DATABASE_URL: process.env.LATCHFLOW_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  LATCHFLOW_NATS_URL: process.env.LATCHFLOW_NATS_URL ?? "nats://127.0.0.1:4222",
};
const launched = await launch({ env });
console.log(
  `Latchflow (distributed, ${Object.keys(launched.addresses).length + 1} processes): open ${launched.gatewayUrl}`,
);
console.log("Logs: .latchflow/logs/<service>.log. Ctrl-C stops everything.");
const onSignal = () => {
  launched.stop().then(() => process.exit(0));
};
process.once("SIGINT", onSignal);
process.once("SIGTERM", onSignal);
