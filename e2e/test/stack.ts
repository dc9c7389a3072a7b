import { type Client, createClient, operations } from "@latchflow/api";
import type { EventBus } from "@latchflow/bus";
import { type Started, startEmbedded } from "@latchflow/cli";
import { type Config, createLogger, type Logger } from "@latchflow/runtime";
import {
  createTestConfig,
  type TestBus,
  type TestConfig,
  type TestDialect,
} from "@latchflow/runtime/testing";
import {
  deleteNatsStream,
  dropSchemas,
  type SmtpCapture,
  type StartedS3,
  startS3rver,
  startSmtpCapture,
  uniqueName,
} from "@latchflow/testing";
import { inject } from "vitest";
import { type HttpResult, http, parseJson } from "./http.js";

export const MODES: [TestDialect, TestBus][] = [
  ["sqlite", "in-process"],
  ["postgres", "nats"],
];

export const OWNER_TOKEN = "identity-owner-bootstrap-token-0123456789";
export const OWNER_EMAIL = "owner@example.com";

/** A browser: keeps cookies, sends the CSRF header on demand, never follows redirects. */
export class Browser {
  readonly cookies = new Map<string, string>();
  constructor(private readonly base: string) {}

  /**
   * The typed client as the apps use it: this browser's cookies, the CSRF header of `session` on changes, and
   * every answer checked against the contract.
   */
  client(session: "user" | "recipient" = "user"): Client {
    return createClient({
      baseUrl: this.base,
      validate: operations,
      csrfToken: () => {
        const value = this.cookies.get(session === "user" ? "lf_csrf" : "lf_recipient_csrf");
        return value === undefined ? undefined : decodeURIComponent(value);
      },
      fetch: (async (url: string, init: RequestInit = {}) => {
        const headers = new Headers(init.headers);
        if (this.cookies.size)
          headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
        const res = await fetch(url, { ...init, headers, redirect: "manual" });
        this.keepCookies(res.headers);
        return res;
      }) as typeof fetch,
    });
  }

  private keepCookies(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (/Max-Age=0/.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(
    method: string,
    path: string,
    options: {
      json?: unknown;
      form?: Record<string, string>;
      csrf?: "user" | "recipient";
      headers?: Record<string, string>;
    } = {},
  ): Promise<HttpResult> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    if (options.csrf) {
      const value = this.cookies.get(options.csrf === "user" ? "lf_csrf" : "lf_recipient_csrf");
      if (value) headers["x-csrf-token"] = decodeURIComponent(value);
    }
    let body: string | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["content-type"] = "application/json";
    } else if (options.form) {
      body = new URLSearchParams(options.form).toString();
      headers["content-type"] = "application/x-www-form-urlencoded";
    }
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers,
      redirect: "manual",
      ...(body ? { body } : {}),
    });
    this.keepCookies(res.headers);
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: parseJson(text), text };
  }
}

export interface Stack {
  base: string;
  /** where each backend listens (for tests that talk gRPC directly) */
  addresses: NonNullable<Started["addresses"]>;
  /** the data dir (SQLite files, the bus log, filesystem blobs) */
  dataDir: string;
  /** the configuration every service of the stack runs with */
  config: Config;
  /** the services' event bus */
  bus: EventBus;
  /** the LATCHFLOW_* variables of this stack (for running `latchflow` commands against it) */
  env: Record<string, string>;
  /** the S3 server when blobs live in S3 (Postgres mode) */
  s3: StartedS3 | undefined;
  mail: SmtpCapture;
  /** moves the services' clock forward */
  advance(ms: number): void;
  /** the services' clock */
  now(): Date;
  api(
    method: string,
    path: string,
    options?: {
      token?: string;
      json?: unknown;
      body?: string | Uint8Array;
      headers?: Record<string, string>;
    },
  ): Promise<HttpResult>;
  /** the typed client with a bearer token (the owner's by default), every answer checked against the contract */
  client(token?: string): Client;
  browser(): Browser;
  /** signs `email` in through the magic link flow and returns the browser holding the session */
  signIn(email: string): Promise<Browser>;
  stop(): Promise<void>;
}

/** Blobs on the filesystem with SQLite, in s3rver with Postgres (both drivers run end to end). */
export async function startStack(
  dialect: TestDialect,
  bus: TestBus,
  prefix: string,
  env: Record<string, string> = {},
  options: { logger?: Logger } = {},
): Promise<Stack> {
  const name = uniqueName(prefix);
  const mail = await startSmtpCapture();
  const s3 = dialect === "postgres" ? await startS3rver() : undefined;
  const tc: TestConfig = createTestConfig({
    dialect,
    bus,
    name,
    pgUrl: inject("pgUrl"),
    natsUrl: inject("natsUrl"),
    env: {
      LATCHFLOW_BOOTSTRAP_TOKEN: OWNER_TOKEN,
      LATCHFLOW_BOOTSTRAP_EMAIL: OWNER_EMAIL,
      LATCHFLOW_SMTP_URL: mail.url,
      LATCHFLOW_MAIL_FROM: "Latchflow Test <test@example.com>",
      ...s3?.env,
      ...env,
    },
  });
  let offset = 0;
  const logger = options.logger ?? createLogger({ level: "silent" });
  const started: Started = await startEmbedded(tc.config, logger, () => {}, {
    now: () => new Date(Date.now() + offset),
  });
  const base = started.url!;
  const stack: Stack = {
    base,
    addresses: started.addresses!,
    dataDir: tc.config.dataDir,
    config: tc.config,
    bus: started.bus!,
    env: tc.env,
    s3,
    mail,
    advance: (ms) => {
      offset += ms;
    },
    now: () => new Date(Date.now() + offset),
    api: (method, path, options = {}) => http(base, method, path, { token: OWNER_TOKEN, ...options }),
    client: (token = OWNER_TOKEN) => createClient({ baseUrl: base, token, validate: operations }),
    browser: () => new Browser(base),
    async signIn(email) {
      const before = mail.to(email).length;
      const start = await http(base, "POST", "/api/v1/auth/admin/start", { json: { email } });
      if (start.status !== 202) throw new Error(`sign-in start failed: ${start.text}`);
      const message = await mail.waitFor(email, () => mail.to(email).length > before);
      const link = linkIn(message.text);
      const browser = new Browser(base);
      const res = await browser.request("GET", link.replace(base, ""));
      if (res.status !== 303) throw new Error(`sign-in callback failed: ${res.status} ${res.text}`);
      return browser;
    },
    async stop() {
      await started.stop();
      await mail.stop();
      await s3?.stop();
      if (dialect === "postgres") await dropSchemas(inject("pgUrl"), `${name}_`);
      if (bus === "nats") await deleteNatsStream(inject("natsUrl"), name.toUpperCase());
      tc.cleanup();
    },
  };
  return stack;
}

/** The sign-in link of a mail, as emailed: the admin app's page that completes the sign-in (ADR 027). */
export function adminLinkIn(text: string): string {
  const m = /(http:\/\/\S+\/admin\/sign-in\/link\?token=\S+)/.exec(text);
  if (!m?.[1]) throw new Error(`no sign-in link in: ${text}`);
  return m[1];
}

/** The API call the emailed link's page makes (completeAdminSignIn), for tests without a browser. */
export function linkIn(text: string): string {
  const link = new URL(adminLinkIn(text));
  const token = link.searchParams.get("token") ?? "";
  return `${link.origin}/api/v1/auth/admin/callback?token=${encodeURIComponent(token)}`;
}

export function codeIn(text: string): string {
  const m = /\b(\d{6})\b/.exec(text);
  if (!m?.[1]) throw new Error(`no code in: ${text}`);
  return m[1];
}
