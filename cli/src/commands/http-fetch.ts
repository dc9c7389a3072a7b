// A `fetch` for the typed client over node:http/https. Node's global fetch (undici) costs more to load than a
// whole `bundles list` (ADR 023: measured ~2× `node -e 0` for the first fetch alone), and node:http is already
// in Node's startup snapshot. The answer is a small Response-like object with what the client reads (status,
// headers.get, text) plus the Node stream for downloads; request bodies may be strings, bytes, or Node streams
// (uploads stream from disk with backpressure).
import type { Agent, IncomingMessage, RequestOptions } from "node:http";
import type { Readable } from "node:stream";

/** What httpFetch resolves with: the parts of a fetch Response the CLI uses. */
export interface LiteResponse {
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  /** the body as a Node stream, unread (downloads) */
  stream: IncomingMessage;
}

/** A request body: a string, bytes, or a Node stream (uploads from disk). */
export type LiteBody = string | Uint8Array | Readable;

export interface LiteRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: LiteBody | null;
  signal?: AbortSignal | null;
}

const agents = new Map<string, Agent>();

async function agentFor(
  protocol: string,
): Promise<{ request: typeof import("node:http").request; agent: Agent }> {
  // the CommonJS module, not an ES import: that would read node:http's lazy `WebSocket` and load undici
  const mod =
    protocol === "https:" ? process.getBuiltinModule("node:https") : process.getBuiltinModule("node:http");
  let agent = agents.get(protocol);
  if (!agent) {
    agent = new mod.Agent({ keepAlive: true });
    agents.set(protocol, agent);
  }
  return { request: mod.request as typeof import("node:http").request, agent };
}

/** Closes kept-alive connections so the process can exit. */
export function closeConnections(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

const abortError = () => Object.assign(new Error("The operation was aborted"), { name: "AbortError" });

function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (c: Buffer) => chunks.push(c));
    res.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.once("error", reject);
  });
}

/** `fetch(url, init)` over node:http(s); network failures reject like fetch: TypeError("fetch failed", {cause}). */
export async function httpFetch(input: string | URL, init: LiteRequestInit = {}): Promise<LiteResponse> {
  const url = new URL(String(input));
  const { request, agent } = await agentFor(url.protocol);
  if (init.signal?.aborted) throw abortError();
  return await new Promise<LiteResponse>((resolve, reject) => {
    const options: RequestOptions = {
      method: init.method ?? "GET",
      headers: init.headers ?? {},
      agent,
    };
    const req = request(url, options, (res) => {
      const status = res.statusCode ?? 0;
      resolve({
        status,
        ok: status >= 200 && status < 300,
        headers: {
          get(name) {
            const v = res.headers[name.toLowerCase()];
            return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
          },
        },
        text: () => readText(res),
        stream: res,
      });
    });
    const onAbort = () => req.destroy(abortError());
    init.signal?.addEventListener("abort", onAbort, { once: true });
    req.once("close", () => init.signal?.removeEventListener("abort", onAbort));
    req.once("error", (err) =>
      reject(err.name === "AbortError" ? err : new TypeError("fetch failed", { cause: err })),
    );
    const body = init.body;
    if (body === undefined || body === null) req.end();
    else if (typeof body === "string" || body instanceof Uint8Array) req.end(body);
    else {
      body.once("error", (err) => req.destroy(err));
      body.pipe(req);
    }
  });
}
