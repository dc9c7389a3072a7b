import type { Readable } from "node:stream";
import { downloadsTotal } from "@latchflow/runtime";

/** `grant` (/dl), `link` (/s), `file` (a user's file content), `export` (a user's bundle archive). */
export type DownloadKind = "grant" | "link" | "file" | "export";

/** Counts a download once its body settles: sent whole, broken mid-stream, or abandoned by the client. */
export function countDownload(kind: DownloadKind, status: number, body: Readable): Readable {
  let counted = false;
  const count = (outcome: string) => {
    if (counted) return;
    counted = true;
    downloadsTotal.inc({ kind, outcome });
  };
  body.once("end", () => count(status === 206 ? "range_completed" : "completed"));
  body.once("error", () => count("failed"));
  body.once("close", () => count("aborted"));
  return body;
}

/** Counts a download refused before any byte was sent (unknown, expired, used up, range not satisfiable). */
export function countDeniedDownload(kind: DownloadKind): void {
  downloadsTotal.inc({ kind, outcome: "denied" });
}

/** Runs the call that opens a download; a refusal is counted as `denied` and rethrown. */
export async function openingDownload<T>(kind: DownloadKind, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (err) {
    countDeniedDownload(kind);
    throw err;
  }
}
