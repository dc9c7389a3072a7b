import { type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, status } from "@grpc/grpc-js";
import { healthV1 } from "@latchflow/proto/health";

type CheckRequest = healthV1.HealthCheckRequest;
type CheckResponse = healthV1.HealthCheckResponse;
const Wire = healthV1.HealthCheckResponse_ServingStatus;

/** What a service can report about itself. */
export const HealthStatus = { Serving: "SERVING", NotServing: "NOT_SERVING" } as const;
export type HealthStatus = (typeof HealthStatus)[keyof typeof HealthStatus];

/** The name of the server as a whole in the health protocol. */
export const OVERALL_HEALTH = "";

/**
 * The standard `grpc.health.v1.Health` service: `Check` answers the current status (NOT_FOUND for an
 * unknown service name, as the spec requires); `Watch` sends the current status, then every change
 * (SERVICE_UNKNOWN for names not registered yet). After {@link HealthImpl.shutdown} every status is
 * NOT_SERVING and stays so.
 */
export class HealthImpl {
  readonly #statuses = new Map<string, HealthStatus>([[OVERALL_HEALTH, HealthStatus.Serving]]);
  readonly #watchers = new Map<string, Set<ServerWritableStream<CheckRequest, CheckResponse>>>();
  #terminal = false;

  /** Sets (or registers) the status of a service by its full name, e.g. `latchflow.bundles.v1.BundlesService`. */
  setStatus(service: string, next: HealthStatus): void {
    if (this.#terminal) return;
    this.#set(service, next);
  }

  getStatus(service: string): HealthStatus | undefined {
    return this.#statuses.get(service);
  }

  /** Flips every service to NOT_SERVING for good; further `setStatus` calls are ignored. */
  shutdown(): void {
    this.#terminal = true;
    for (const service of this.#statuses.keys()) this.#set(service, HealthStatus.NotServing);
  }

  /** Ends every open Watch stream, so a graceful server shutdown is not held open by them. */
  endWatches(): void {
    for (const set of this.#watchers.values()) for (const call of set) call.end();
    this.#watchers.clear();
  }

  /** grpc-js handlers of the Health service (registered by `createGrpcServer`). */
  readonly handlers = {
    check: (call: ServerUnaryCall<CheckRequest, CheckResponse>, callback: sendUnaryData<CheckResponse>) => {
      const current = this.#statuses.get(call.request.service);
      if (current === undefined) {
        callback({ code: status.NOT_FOUND, details: "Unknown service" });
        return;
      }
      callback(null, { status: toWire(current) });
    },
    watch: (call: ServerWritableStream<CheckRequest, CheckResponse>) => {
      const service = call.request.service;
      const current = this.#statuses.get(service);
      call.write({ status: current === undefined ? Wire.SERVICE_UNKNOWN : toWire(current) });
      let set = this.#watchers.get(service);
      if (!set) {
        set = new Set();
        this.#watchers.set(service, set);
      }
      set.add(call);
      const forget = () => {
        this.#watchers.get(service)?.delete(call);
      };
      call.on("cancelled", forget);
      call.on("close", forget);
    },
  };

  #set(service: string, next: HealthStatus): void {
    const previous = this.#statuses.get(service);
    this.#statuses.set(service, next);
    if (previous === next) return;
    for (const call of this.#watchers.get(service) ?? []) call.write({ status: toWire(next) });
  }
}

function toWire(s: HealthStatus): CheckResponse["status"] {
  return s === HealthStatus.Serving ? Wire.SERVING : Wire.NOT_SERVING;
}
