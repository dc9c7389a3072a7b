import http from "node:http";
import https from "node:https";
import { ErrorCode, LatchflowError } from "@latchflow/runtime";
import { type AddressClass, pinnedLookup, type VettedTarget, vetUrl } from "@latchflow/sandbox";

/** Address classes a tarball on the configured registry's own host may resolve to (a local mirror). */
const REGISTRY_HOST_CLASSES: readonly AddressClass[] = ["loopback", "private", "link-local", "cgnat"];

export interface DownloadLimits {
  /** the most bytes read before `payload_too_large` */
  maxBytes: number;
  /** the most bytes of the registry's package document (JSON) read; default 32 MiB */
  maxDocumentBytes?: number;
  timeoutMs: number;
  /** DNS resolution, injectable for tests */
  resolve?: (host: string) => Promise<Array<{ address: string; family: number }>>;
}

const unavailable = (message: string, cause?: unknown) =>
  new LatchflowError(ErrorCode.Unavailable, message, { cause });
const tooLarge = (max: number) =>
  new LatchflowError(ErrorCode.PayloadTooLarge, `The tarball is larger than ${max} bytes`, {
    details: { maxBytes: max },
  });

/**
 * Vets a tarball URL the registry handed out with the egress guard plugins' `fetch` uses: a public address,
 * or the configured registry's own host (which the operator chose, e.g. a mirror on 127.0.0.1). Anything else
 * (another loopback, private, link-local or metadata address) is refused with `permission_denied`.
 */
export async function vetTarballUrl(
  raw: string,
  registry: string,
  resolve?: DownloadLimits["resolve"],
): Promise<VettedTarget> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new LatchflowError(ErrorCode.PermissionDenied, "The registry's tarball URL is not a URL");
  }
  const sameHost = url.host === new URL(registry).host;
  try {
    return await vetUrl(url.href, {
      allowHosts: [url.hostname],
      ...(sameHost ? { allowAddressClasses: REGISTRY_HOST_CLASSES } : {}),
      ...(resolve ? { resolve } : {}),
    });
  } catch (err) {
    if ((err as { code?: string }).code === "unavailable")
      throw unavailable("The tarball host does not resolve");
    throw new LatchflowError(ErrorCode.PermissionDenied, "The registry's tarball URL is refused", {
      details: { reason: (err as Error).message },
    });
  }
}

/**
 * Downloads a vetted URL, connecting to the vetted address only (no second DNS lookup), streaming with a
 * byte limit: more than `maxBytes` (announced or received) fails `payload_too_large`. Redirects are refused.
 */
export function downloadVetted(target: VettedTarget, limits: DownloadLimits): Promise<Buffer> {
  const { url } = target;
  const client = url.protocol === "https:" ? https : http;
  return new Promise<Buffer>((resolve, reject) => {
    const req = client.get(
      url,
      { lookup: pinnedLookup(target), agent: false, timeout: limits.timeoutMs, headers: { accept: "*/*" } },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) {
          res.resume();
          reject(unavailable(`The registry did not answer the tarball download (HTTP ${status})`));
          return;
        }
        if (Number(res.headers["content-length"] ?? 0) > limits.maxBytes) {
          req.destroy();
          reject(tooLarge(limits.maxBytes));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > limits.maxBytes) {
            req.destroy();
            reject(tooLarge(limits.maxBytes));
          } else chunks.push(chunk);
        });
        res.on("end", () => resolve(Buffer.concat(chunks)));
        res.on("error", (err) => reject(unavailable("The tarball download failed", err)));
      },
    );
    req.on("timeout", () => req.destroy(unavailable("The tarball download timed out")));
    req.on("error", (err) =>
      reject(err instanceof LatchflowError ? err : unavailable("The tarball download failed", err)),
    );
  });
}
