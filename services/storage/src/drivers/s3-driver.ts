import { pipeline, Readable, Transform } from "node:stream";
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { type Config, notFound } from "@latchflow/runtime";
import { type BlobDriver, type ByteRange, checkKey } from "./blob-driver.js";

const PART_SIZE = 8 * 1024 * 1024;

export type S3DriverOptions = Config["storage"]["s3"];

function contentRangeStart(header: string): number {
  const m = /^bytes (\d+)-/.exec(header);
  return m ? Number(m[1]) : 0;
}

/** Passes `length` bytes after skipping `skip`, then ends (draining the rest). */
function sliceStream(skip: number, length: number): Transform {
  let toSkip = Math.max(0, skip);
  let left = length;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      let c = chunk;
      if (toSkip > 0) {
        const n = Math.min(toSkip, c.length);
        toSkip -= n;
        c = c.subarray(n);
      }
      if (left > 0 && c.length > 0) {
        const out = c.length > left ? c.subarray(0, left) : c;
        left -= out.length;
        done(null, out);
        return;
      }
      done();
    },
  });
}

function statusOf(err: unknown): number | undefined {
  return err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
}

/**
 * Objects in an S3 bucket (AWS or S3-compatible). Puts are multipart uploads through lib-storage's `Upload`
 * (8 MiB parts, two in flight; aborted on failure, so nothing is left), reads are ranged GetObject calls.
 * Checksums are computed only when an operation requires them, which S3-compatible servers handle.
 */
export function createS3Driver(options: S3DriverOptions): BlobDriver {
  const client = new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    ...(options.accessKeyId
      ? {
          credentials: {
            accessKeyId: options.accessKeyId,
            secretAccessKey: options.secretAccessKey?.reveal() ?? "",
          },
        }
      : {}),
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const Bucket = options.bucket;
  const full = (key: string) => `${options.prefix}${checkKey(key)}`;

  return {
    kind: "s3",
    async put(key, body) {
      let size = 0;
      const counted = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          done(null, chunk);
        },
      });
      body.once("error", (err) => counted.destroy(err));
      body.pipe(counted);
      const upload = new Upload({
        client,
        params: { Bucket, Key: full(key), Body: counted },
        partSize: PART_SIZE,
        queueSize: 2,
        leavePartsOnError: false,
      });
      // a body failing mid-upload must abort the multipart upload, not complete it with what arrived
      const failed = new Promise<never>((_, reject) => {
        body.once("error", reject);
        body.once("close", () => {
          if (!body.readableEnded) reject(new Error("upload body closed before its end"));
        });
      });
      failed.catch(() => {});
      try {
        await Promise.race([upload.done(), failed]);
      } catch (err) {
        await upload.abort().catch(() => {});
        await client.send(new DeleteObjectCommand({ Bucket, Key: full(key) })).catch(() => {});
        throw err;
      }
      return { size };
    },

    async read(key, range?: ByteRange) {
      if (range && range.end <= range.start) {
        if ((await this.stat(key)) === undefined) throw notFound("Object not found", { key });
        return Readable.from([]);
      }
      try {
        const res = await client.send(
          new GetObjectCommand({
            Bucket,
            Key: full(key),
            ...(range ? { Range: `bytes=${range.start}-${range.end - 1}` } : {}),
          }),
        );
        const body = res.Body as Readable;
        if (!range) return body;
        // servers that ignore or widen a Range (s3rver reads "bytes=0-0" as the whole object) are cut to size
        const skip = res.ContentRange ? range.start - contentRangeStart(res.ContentRange) : range.start;
        return pipeline(body, sliceStream(skip, range.end - range.start), () => {});
      } catch (err) {
        const status = statusOf(err);
        if (status === 404) throw notFound("Object not found", { key });
        if (status === 416) return Readable.from([]);
        throw err;
      }
    },

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: full(key) }));
    },

    async stat(key) {
      try {
        const res = await client.send(new HeadObjectCommand({ Bucket, Key: full(key) }));
        return { size: res.ContentLength ?? 0 };
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    },

    async *list(prefix) {
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket, Prefix: `${options.prefix}${prefix}`, ContinuationToken }),
        );
        for (const o of page.Contents ?? []) {
          if (!o.Key) continue;
          yield {
            key: o.Key.slice(options.prefix.length),
            size: o.Size ?? 0,
            modifiedAt: o.LastModified ?? new Date(0),
          };
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
    },

    async removeIncomplete(olderThanMs) {
      let removed = 0;
      try {
        let KeyMarker: string | undefined;
        let UploadIdMarker: string | undefined;
        do {
          const page = await client.send(
            new ListMultipartUploadsCommand({ Bucket, Prefix: options.prefix, KeyMarker, UploadIdMarker }),
          );
          for (const u of page.Uploads ?? []) {
            if (!u.Key || !u.UploadId) continue;
            if (Date.now() - (u.Initiated?.getTime() ?? 0) < olderThanMs) continue;
            await client.send(new AbortMultipartUploadCommand({ Bucket, Key: u.Key, UploadId: u.UploadId }));
            removed++;
          }
          KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
          UploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
        } while (KeyMarker);
      } catch (err) {
        // some S3-compatible servers (s3rver) do not list multipart uploads; a lifecycle rule covers them
        const status = statusOf(err);
        if (status !== 501 && status !== 405 && status !== 404 && status !== 400) throw err;
      }
      return removed;
    },

    async close() {
      client.destroy();
    },
  };
}
