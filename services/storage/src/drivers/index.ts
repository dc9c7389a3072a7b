import { join, resolve } from "node:path";
import type { Config } from "@latchflow/runtime";
import type { BlobDriver } from "./blob-driver.js";
import { createFsDriver } from "./fs-driver.js";

export type { BlobDriver, ByteRange, ObjectInfo } from "./blob-driver.js";
export { createFsDriver } from "./fs-driver.js";

/**
 * The driver named by `LATCHFLOW_BLOB_DRIVER`. The S3 driver (and the AWS SDK, ~10 MB of memory) is loaded
 * only when configured.
 */
export async function createDriverFromConfig(config: Config): Promise<BlobDriver> {
  if (config.storage.blobDriver === "s3") {
    const { createS3Driver } = await import("./s3-driver.js");
    return createS3Driver(config.storage.s3);
  }
  return createFsDriver(join(resolve(config.dataDir), "blobs"));
}
