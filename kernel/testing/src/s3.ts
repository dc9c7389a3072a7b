import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";

/** A running s3rver (a fake S3: it does not verify signatures) with one bucket. */
export interface StartedS3 {
  /** e.g. http://127.0.0.1:40123 — use with `forcePathStyle: true` */
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** folder holding the objects (removed by `stop`) */
  dir: string;
  /** env for `loadConfig`: the LATCHFLOW_S3_* variables and `LATCHFLOW_BLOB_DRIVER=s3` */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts s3rver in this process on 127.0.0.1 (a free port) with its files in a temp dir and `bucket`
 * created. Clients must set `forcePathStyle: true` and `requestChecksumCalculation` /
 * `responseChecksumValidation: "WHEN_REQUIRED"` (s3rver corrupts streamed puts otherwise).
 */
export async function startS3rver(bucket = "latchflow-test"): Promise<StartedS3> {
  const dir = mkdtempSync(join(tmpdir(), "latchflow-s3-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: bucket }],
  });
  let address: { port: number };
  try {
    address = await server.run();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const endpoint = `http://127.0.0.1:${address.port}`;
  const credentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    bucket,
    region: "us-east-1",
    ...credentials,
    dir,
    env: {
      LATCHFLOW_BLOB_DRIVER: "s3",
      LATCHFLOW_S3_ENDPOINT: endpoint,
      LATCHFLOW_S3_REGION: "us-east-1",
      LATCHFLOW_S3_BUCKET: bucket,
      LATCHFLOW_S3_ACCESS_KEY_ID: credentials.accessKeyId,
      LATCHFLOW_S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    stop() {
      stopping ??= server.close().finally(() => rmSync(dir, { recursive: true, force: true }));
      return stopping;
    },
  };
}
