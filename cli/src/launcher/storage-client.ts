import { storageV1 } from "@latchflow/proto/storage";
import { createClient, type GrpcClient, type Logger } from "@latchflow/runtime";

export type StorageClient = GrpcClient<
  typeof storageV1.StorageServiceService,
  storageV1.StorageServiceClient
>;

/** A gRPC client of the storage service (streaming calls through `$raw`, with `$callOptions(ctx)`). */
export function storageClient(address: string, deadlineMs: number, logger: Logger): StorageClient {
  return createClient(storageV1.StorageServiceClient, address, { deadlineMs, logger });
}
