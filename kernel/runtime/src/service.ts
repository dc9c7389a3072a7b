import type { EventBus } from "@latchflow/bus";
import type { Config, ServiceName } from "./config.js";
import type { GrpcServer } from "./grpc/index.js";
import type { Logger } from "./logger.js";

/** What every domain service factory receives. Tests pass real ones built for a temp database. */
export interface ServiceDeps {
  config: Config;
  bus: EventBus;
  logger: Logger;
}

/** A domain service: owns one database, serves one gRPC API, publishes through its outbox. */
export interface LatchflowService {
  readonly name: ServiceName;
  /** Opens the database (running migrations), starts relays and consumers, registers gRPC handlers. */
  start(server: GrpcServer): Promise<void>;
  /** Stops consumers and relays, closes the database. */
  stop(): Promise<void>;
}
