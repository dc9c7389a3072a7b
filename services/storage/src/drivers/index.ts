import { join, resolve } from "node:path";
import type { Config } from "@latchflow/runtime";
import type { BlobDriver } from "./blob-driver.js";
import { createFsDriver } from "./fs-driver.js";
import { createS3Driver } from "./s3-driver.js";

export type { BlobDriver, ByteRange, ObjectInfo } from "./blob-driver.js";
export { createFsDriver } from "./fs-driver.js";
export { createS3Driver } from "./s3-driver.js";

/** The driver named by `LATCHFLOW_BLOB_DRIVER`. */
export function createDriverFromConfig(config: Config): BlobDriver {
  return config.storage.blobDriver === "s3"
    ? createS3Driver(config.storage.s3)
    : createFsDriver(join(resolve(config.dataDir), "blobs"));
}
