import type { schemas } from "@latchflow/api";
import { createClient } from "@latchflow/api/client";
import { csrfToken } from "./api.js";

/** How far an upload is: bytes sent of the body's total. */
export type Progress = (sent: number, total: number) => void;

/** The headers of an XMLHttpRequest answer as a Headers object. */
function headersOf(xhr: XMLHttpRequest): Headers {
  const headers = new Headers();
  for (const line of xhr
    .getAllResponseHeaders()
    .trim()
    .split(/[\r\n]+/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return headers;
}

/**
 * A `fetch` made of XMLHttpRequest, for the one thing fetch cannot do: tell how much of a request body was sent.
 * It answers like fetch (a Response; a TypeError when the server cannot be reached; an AbortError when aborted), so
 * the typed client works on it unchanged.
 */
export function fetchWithProgress(
  onProgress: Progress,
  Xhr: typeof XMLHttpRequest = XMLHttpRequest,
): typeof fetch {
  return ((input: RequestInfo | URL, init: RequestInit = {}) =>
    new Promise<Response>((resolve, reject) => {
      const xhr = new Xhr();
      xhr.open(init.method ?? "GET", String(input));
      for (const [key, value] of new Headers(init.headers)) xhr.setRequestHeader(key, value);
      xhr.withCredentials = init.credentials === "include";
      xhr.responseType = "blob";
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) onProgress(e.loaded, e.total);
      });
      xhr.addEventListener("load", () => {
        const empty = xhr.status === 204 || xhr.status === 205 || xhr.status === 304;
        resolve(
          new Response(empty ? null : (xhr.response as Blob), {
            status: xhr.status,
            statusText: xhr.statusText,
            headers: headersOf(xhr),
          }),
        );
      });
      xhr.addEventListener("error", () => reject(new TypeError("Failed to fetch")));
      xhr.addEventListener("abort", () => reject(new DOMException("The upload was cancelled", "AbortError")));
      const signal = init.signal;
      if (signal?.aborted) {
        xhr.abort();
        return;
      }
      signal?.addEventListener("abort", () => xhr.abort(), { once: true });
      xhr.send((init.body ?? null) as XMLHttpRequestBodyInit | null);
    })) as typeof fetch;
}

/**
 * Uploads one file into a folder through the typed client (the contract's `uploadFile`, multipart with the
 * `folder` field before the `file` part, the session's CSRF header), telling the progress as it goes.
 */
export function uploadFile(
  file: File,
  folder: string,
  options: { onProgress: Progress; signal?: AbortSignal },
): Promise<schemas.FileObject> {
  const client = createClient({
    baseUrl: "",
    csrfToken,
    credentials: "same-origin",
    fetch: fetchWithProgress(options.onProgress),
  });
  const body = new FormData();
  body.append("folder", folder);
  body.append("file", file, file.name);
  return client.uploadFile({ body, ...(options.signal ? { signal: options.signal } : {}) });
}
