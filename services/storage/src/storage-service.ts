import { type GrpcServer, type LatchflowService, type ServiceDeps, ServiceName } from "@latchflow/runtime";

/**
 * The storage service. In this milestone it runs as its own process and answers the standard gRPC health
 * protocol; the blob API of proto/latchflow/storage/v1 (streamed put/get, encryption, dedupe) arrives with
 * the files issue, so its RPCs answer UNIMPLEMENTED until then.
 */
export function createStorageService(deps: ServiceDeps): LatchflowService {
  const logger = deps.logger.child({ service: ServiceName.Storage });
  return {
    name: ServiceName.Storage,
    async start(_server: GrpcServer) {
      logger.debug("storage started");
    },
    async stop() {},
  };
}
