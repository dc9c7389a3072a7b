import { describe, expect, it } from "vitest";
import { fetchWithProgress } from "./upload.js";

/** An XMLHttpRequest stand-in: records what was sent, then answers as told. */
class FakeXhr {
  static last: FakeXhr;
  static answer: { status: number; body: string; headers: string } | "error" | "hang" = {
    status: 201,
    body: "{}",
    headers: "",
  };
  method = "";
  url = "";
  headers: Record<string, string> = {};
  withCredentials = false;
  responseType = "";
  status = 0;
  statusText = "";
  response: Blob | null = null;
  sent: unknown;
  aborted = false;
  private listeners = new Map<string, (e?: unknown) => void>();
  readonly upload = {
    listeners: new Map<string, (e: unknown) => void>(),
    addEventListener(type: string, fn: (e: unknown) => void) {
      this.listeners.set(type, fn);
    },
  };
  constructor() {
    FakeXhr.last = this;
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v;
  }
  addEventListener(type: string, fn: (e?: unknown) => void) {
    this.listeners.set(type, fn);
  }
  getAllResponseHeaders() {
    return (FakeXhr.answer as { headers: string }).headers;
  }
  abort() {
    this.aborted = true;
    this.listeners.get("abort")?.();
  }
  send(body: unknown) {
    this.sent = body;
    const answer = FakeXhr.answer;
    if (answer === "hang") return;
    setTimeout(() => {
      if (answer === "error") return this.listeners.get("error")?.();
      this.upload.listeners.get("progress")?.({ lengthComputable: true, loaded: 5, total: 10 });
      this.upload.listeners.get("progress")?.({ lengthComputable: true, loaded: 10, total: 10 });
      this.status = answer.status;
      this.response = new Blob([answer.body]);
      this.listeners.get("load")?.();
    });
  }
}

const fetchOf = (seen: [number, number][]) =>
  fetchWithProgress((sent, total) => seen.push([sent, total]), FakeXhr as unknown as typeof XMLHttpRequest);

describe("fetch with upload progress", () => {
  it("sends what fetch would, reports progress, and answers a Response", async () => {
    FakeXhr.answer = {
      status: 201,
      body: '{"id":"f1"}',
      headers: "content-type: application/json\r\nx-request-id: r1\r\n",
    };
    const seen: [number, number][] = [];
    const res = await fetchOf(seen)("/api/v1/files", {
      method: "POST",
      headers: { "x-csrf-token": "t", accept: "application/json" },
      body: "bytes",
    });
    expect(FakeXhr.last).toMatchObject({
      method: "POST",
      url: "/api/v1/files",
      headers: { "x-csrf-token": "t", accept: "application/json" },
      sent: "bytes",
      responseType: "blob",
      withCredentials: false,
    });
    expect(seen).toEqual([
      [5, 10],
      [10, 10],
    ]);
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-request-id")).toBe("r1");
    expect(await res.json()).toEqual({ id: "f1" });
  });

  it("answers an error status as a Response, and fails like fetch when unreachable or aborted", async () => {
    FakeXhr.answer = { status: 413, body: '{"error":{}}', headers: "content-type: application/json" };
    expect((await fetchOf([])("/x", { method: "POST" })).status).toBe(413);
    FakeXhr.answer = { status: 204, body: "", headers: "" };
    expect(await (await fetchOf([])("/x")).text()).toBe("");

    FakeXhr.answer = "error";
    await expect(fetchOf([])("/x")).rejects.toBeInstanceOf(TypeError);

    FakeXhr.answer = "hang";
    const controller = new AbortController();
    const pending = fetchOf([])("/x", { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(FakeXhr.last.aborted).toBe(true);
  });
});
