import { createPrivateKey, type KeyObject } from "node:crypto";
import { z } from "zod";
import { ErrorCode, LatchflowError } from "./errors.js";

/**
 * Every environment variable Latchflow reads, in one place, with its meaning and default.
 * The README's table is checked against this list by a test.
 */
export const ENV_VARS = {
  LATCHFLOW_ENV: {
    default: "production",
    doc: "`development` relaxes cookie `Secure` and shows error stacks in logs; anything else is production.",
  },
  LATCHFLOW_LOG_LEVEL: {
    default: "info",
    doc: "pino level: trace, debug, info, warn, error, fatal, silent.",
  },
  LATCHFLOW_METRICS_TOKEN: {
    default: "",
    doc: "When set (16+ characters), `/metrics` answers only `Authorization: Bearer <token>`; empty = open (see ADR 012).",
  },
  LATCHFLOW_METRICS_PORT: {
    default: "",
    doc: "Distributed mode: port on which a backend service process serves its own `/metrics` (on `LATCHFLOW_GRPC_HOST`); empty = none. The gateway always serves `/metrics` on its HTTP port.",
  },
  LATCHFLOW_OTEL_EXPORTER: {
    default: "none",
    doc: "Where OpenTelemetry spans go: `none` (only `traceparent` is propagated), `otlp` (OTLP/HTTP) or `console`.",
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    default: "",
    doc: "With `LATCHFLOW_OTEL_EXPORTER=otlp`: base URL of the collector (`/v1/traces` is appended); empty = http://localhost:4318.",
  },
  LATCHFLOW_HOST: { default: "127.0.0.1", doc: "Interface the HTTP gateway binds to." },
  LATCHFLOW_PORT: { default: "8080", doc: "Port of the HTTP gateway (`0` picks a free one)." },
  LATCHFLOW_PUBLIC_URL: {
    default: "",
    doc: "Public base URL of the gateway, used in links; defaults to http://HOST:PORT.",
  },
  LATCHFLOW_PORTAL_DIR: {
    default: "",
    doc: "Folder of the built recipient portal, served at `/portal/`; empty = `latchflow start` builds `portal/` when its sources changed and serves that (ADR 024).",
  },
  LATCHFLOW_ADMIN_DIR: {
    default: "",
    doc: "Folder of the built admin app, served at `/admin/`; empty = `latchflow start` builds `admin/` when its sources changed and serves that (ADR 027).",
  },
  LATCHFLOW_DATA_DIR: {
    default: "./.latchflow",
    doc: "Embedded mode: folder for SQLite files, the bus log, blobs and the key files; created with any missing parents on first start (folders 0700, files 0600).",
  },
  LATCHFLOW_DATABASE_URL: {
    default: "",
    doc: "`postgres://…` to use PostgreSQL (one schema per service); empty = SQLite files in the data dir.",
  },
  LATCHFLOW_DB_SCHEMA_PREFIX: {
    default: "",
    doc: "PostgreSQL: prefix of each service's schema name (`<prefix><service>`), to share one database.",
  },
  LATCHFLOW_DB_POOL_MAX: {
    default: "10",
    doc: "PostgreSQL: most connections each service process keeps open.",
  },
  LATCHFLOW_NATS_URL: {
    default: "",
    doc: "`nats://…` to use NATS JetStream; empty = the durable in-process bus.",
  },
  LATCHFLOW_NATS_STREAM: { default: "LATCHFLOW", doc: "JetStream stream name holding every event." },
  LATCHFLOW_NATS_NAMESPACE: {
    default: "",
    doc: "Optional subject prefix so several deployments (or test runs) can share one NATS server.",
  },
  LATCHFLOW_GRPC_HOST: {
    default: "127.0.0.1",
    doc: "Interface a service's gRPC server binds to (distributed mode).",
  },
  LATCHFLOW_GRPC_PORT: {
    default: "0",
    doc: "Port of a service's gRPC server (distributed mode; `0` picks a free one).",
  },
  LATCHFLOW_GRPC_DEADLINE_MS: {
    default: "5000",
    doc: "Default deadline of gRPC calls between services, in milliseconds.",
  },
  LATCHFLOW_AUTH_ADDR: { default: "", doc: "host:port of the auth service (distributed mode)." },
  LATCHFLOW_BUNDLES_ADDR: { default: "", doc: "host:port of the bundles service (distributed mode)." },
  LATCHFLOW_STORAGE_ADDR: { default: "", doc: "host:port of the storage service (distributed mode)." },
  LATCHFLOW_AUDIT_ADDR: { default: "", doc: "host:port of the audit service (distributed mode)." },
  LATCHFLOW_KERNEL_ADDR: { default: "", doc: "host:port of the kernel (distributed mode)." },
  LATCHFLOW_MASTER_KEY: {
    default: "",
    doc: "Master key (KEK) wrapping every blob's data key: base64 of 32 random bytes (`latchflow keys generate`). Empty = a key file generated under the data dir (mode 0600). Never logged.",
  },
  LATCHFLOW_MASTER_KEYS_OLD: {
    default: "",
    doc: "Comma-separated base64 master keys that were current before: used only to decrypt data keys until `latchflow keys rotate` re-wrapped them.",
  },
  LATCHFLOW_BLOB_DRIVER: {
    default: "fs",
    doc: "Where encrypted blobs live: `fs` (under `<dataDir>/blobs`) or `s3` (an S3-compatible bucket).",
  },
  LATCHFLOW_STORAGE_HTTP_PORT: {
    default: "0",
    doc: "Port of the storage service's HTTP byte plane (blob bytes under short-lived capabilities, ADR 036), on `LATCHFLOW_GRPC_HOST`; `0` picks a free one.",
  },
  LATCHFLOW_S3_ENDPOINT: {
    default: "",
    doc: "S3 endpoint URL for S3-compatible servers (path-style addressing is then used); empty = AWS.",
  },
  LATCHFLOW_S3_REGION: { default: "us-east-1", doc: "S3 region." },
  LATCHFLOW_S3_BUCKET: {
    default: "",
    doc: "S3 bucket of the blobs (required with `LATCHFLOW_BLOB_DRIVER=s3`).",
  },
  LATCHFLOW_S3_PREFIX: {
    default: "",
    doc: "Key prefix inside the bucket, to share one bucket (e.g. `latchflow/`).",
  },
  LATCHFLOW_S3_ACCESS_KEY_ID: {
    default: "",
    doc: "S3 access key id; empty = the AWS SDK's default credential chain.",
  },
  LATCHFLOW_S3_SECRET_ACCESS_KEY: { default: "", doc: "S3 secret access key (with the access key id)." },
  LATCHFLOW_BODY_LIMIT_BYTES: { default: "1048576", doc: "Largest JSON request body the gateway accepts." },
  LATCHFLOW_UPLOAD_LIMIT_BYTES: {
    default: "10737418240",
    doc: "Largest file upload the gateway accepts (default 10 GiB); larger uploads get 413 and leave nothing behind.",
  },
  LATCHFLOW_CORS_ORIGINS: {
    default: "",
    doc: "Comma-separated origins allowed by CORS; empty = same-origin only.",
  },
  LATCHFLOW_BOOTSTRAP_TOKEN: {
    default: "",
    doc: "When the database has no users: create the owner and an all-scopes API token whose secret is exactly this value. Ignored once users exist.",
  },
  LATCHFLOW_BOOTSTRAP_EMAIL: {
    default: "owner@localhost",
    doc: "Email of the owner created at first start.",
  },
  LATCHFLOW_SMTP_URL: {
    default: "",
    doc: "`smtp://user:pass@host:587` or `smtps://…` for outgoing mail; empty = no mail (development logs the message instead). Connections are pooled (`?pool=false` turns that off).",
  },
  LATCHFLOW_MAIL_FROM: {
    default: "Latchflow <no-reply@localhost>",
    doc: "From address of every email Latchflow sends.",
  },
  LATCHFLOW_SESSION_IDLE_MINUTES: { default: "60", doc: "A session unused for this long ends." },
  LATCHFLOW_SESSION_MAX_HOURS: { default: "24", doc: "A session ends this long after sign-in, used or not." },
  LATCHFLOW_AUTH_HASH_KEY: {
    default: "",
    doc: "Key of the HMAC under which one-time sign-in codes and magic-link tokens are stored: base64 of 32 random bytes (`latchflow keys generate`). Empty = a key file generated at `<dataDir>/keys/auth-hash.key` (mode 0600); every auth replica must share it. Never logged.",
  },
  LATCHFLOW_AUTH_RATE_LIMIT: {
    default: "600",
    doc: "Requests per minute each IP and each identity may make to the auth endpoints and to the public trigger ingress (`/hooks/…`, `/checkin/…`); sign-in flows have stricter limits of their own.",
  },
  LATCHFLOW_KERNEL_LEASE_MS: {
    default: "30000",
    doc: "How long a kernel replica holds a run or timer without renewing; after that another replica takes it over (a killed kernel's runs resume this long after).",
  },
  LATCHFLOW_KERNEL_POLL_MS: {
    default: "1000",
    doc: "How often the kernel looks for due timers (cron ticks, dates, dead-man deadlines), retry waits and orphaned runs.",
  },
  LATCHFLOW_EGRESS_ALLOW_PRIVATE: {
    default: "false",
    doc: "`true` lets plugins' `fetch` reach loopback and private addresses (development and tests only; never in production).",
  },
  LATCHFLOW_PLUGIN_REGISTRY: {
    default: "https://registry.npmjs.org",
    doc: "npm-compatible registry that `POST /api/v1/plugins` with `name[@version]` installs from: the tarball must match the sha512 `dist.integrity` the registry states, and tarball URLs on other hosts pass the egress guard (only this registry's own host may be a loopback or private address). Replaces `LATCHFLOW_NPM_REGISTRY`.",
  },
  LATCHFLOW_PLUGIN_MAX_BYTES: {
    default: "10485760",
    doc: "Largest plugin tarball installed, uploaded or downloaded from the registry (bytes); a larger one is refused with `payload_too_large`.",
  },
  LATCHFLOW_PLUGIN_SIGNATURES: {
    default: "warn",
    doc: "What an install does with a package that is unsigned or signed by a key no admin trusts: `warn` installs it and says so (in the answer's `warnings` and the audit event), `require` refuses it (422 unsigned, 403 untrusted). A broken signature is always refused, and so is an upgrade signed by another key than the installed version's.",
  },
  LATCHFLOW_TRUST_PROXY: {
    default: "false",
    doc: "`true` when behind one reverse proxy: the client IP is the last X-Forwarded-For entry (the one the proxy added).",
  },
  LATCHFLOW_IDENTITY_CACHE_MS: {
    default: "5000",
    doc: "How long the gateway may reuse an authenticated identity without asking the auth service again (revocations reach every gateway at once by event; this bounds a lost one); `0` turns the cache off.",
  },
  LATCHFLOW_CONTRACT_CHECK: {
    default: "false",
    doc: "`true` checks every REST response against the contract (`@latchflow/api`): a status the operation does not declare, or a body that does not match its schema, is logged and answered as 500 `internal` naming the mismatch. The test suite turns it on; never in production.",
  },
  LATCHFLOW_AUDIT_SIGNING_KEY: {
    default: "",
    doc: "Ed25519 private key signing audit checkpoints: PKCS#8 PEM or base64 of the PKCS#8 DER. Empty = a key file generated at `<dataDir>/keys/audit-signing.pem` (mode 0600). Never logged.",
  },
  LATCHFLOW_AUDIT_CHECKPOINT_EVERY: {
    default: "1000",
    doc: "The audit service signs a checkpoint of each tenant's hash chain every this many records.",
  },
} as const satisfies Record<string, { default: string; doc: string }>;

export type EnvVarName = keyof typeof ENV_VARS;

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const optionalUrl = (protocols: string[]) =>
  z.string().refine((v) => v === "" || protocols.some((p) => v.startsWith(p)), {
    message: `must be empty or start with ${protocols.join(" or ")}`,
  });
const hostPort = z
  .string()
  .refine((v) => v === "" || /^[^\s:]+:\d+$/.test(v), { message: "must be host:port" });

const schema = z.object({
  LATCHFLOW_ENV: z.string(),
  LATCHFLOW_LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]),
  LATCHFLOW_METRICS_TOKEN: z.string().refine((v) => v === "" || v.length >= 16, {
    message: "must be at least 16 characters",
  }),
  LATCHFLOW_METRICS_PORT: z.union([z.literal(""), port]),
  LATCHFLOW_OTEL_EXPORTER: z.enum(["none", "otlp", "console"]),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl(["http://", "https://"]),
  LATCHFLOW_HOST: z.string().min(1),
  LATCHFLOW_PORT: port,
  LATCHFLOW_PUBLIC_URL: optionalUrl(["http://", "https://"]),
  LATCHFLOW_PORTAL_DIR: z.string(),
  LATCHFLOW_ADMIN_DIR: z.string(),
  LATCHFLOW_DATA_DIR: z.string().min(1),
  LATCHFLOW_DATABASE_URL: optionalUrl(["postgres://", "postgresql://"]),
  LATCHFLOW_DB_SCHEMA_PREFIX: z.string().regex(/^[a-z0-9_]*$/, "lowercase letters, digits and _ only"),
  LATCHFLOW_DB_POOL_MAX: positiveInt,
  LATCHFLOW_NATS_URL: optionalUrl(["nats://", "tls://"]),
  LATCHFLOW_NATS_STREAM: z.string().regex(/^[A-Za-z0-9_-]+$/),
  LATCHFLOW_NATS_NAMESPACE: z.string().regex(/^[A-Za-z0-9_-]*$/),
  LATCHFLOW_GRPC_HOST: z.string().min(1),
  LATCHFLOW_GRPC_PORT: port,
  LATCHFLOW_STORAGE_HTTP_PORT: port,
  LATCHFLOW_GRPC_DEADLINE_MS: positiveInt,
  LATCHFLOW_AUTH_ADDR: hostPort,
  LATCHFLOW_BUNDLES_ADDR: hostPort,
  LATCHFLOW_STORAGE_ADDR: hostPort,
  LATCHFLOW_AUDIT_ADDR: hostPort,
  LATCHFLOW_KERNEL_ADDR: hostPort,
  LATCHFLOW_MASTER_KEY: z.string().refine((v) => v === "" || isBase64Key(v), {
    message: "must be base64 of exactly 32 bytes",
  }),
  LATCHFLOW_MASTER_KEYS_OLD: z.string().refine((v) => splitList(v).every(isBase64Key), {
    message: "each key must be base64 of exactly 32 bytes",
  }),
  LATCHFLOW_BLOB_DRIVER: z.enum(["fs", "s3"]),
  LATCHFLOW_S3_ENDPOINT: optionalUrl(["http://", "https://"]),
  LATCHFLOW_S3_REGION: z.string().min(1),
  LATCHFLOW_S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$|^$/, "must be a valid bucket name"),
  LATCHFLOW_S3_PREFIX: z.string().regex(/^([A-Za-z0-9._-]+\/)*$/, "must be empty or end with /"),
  LATCHFLOW_S3_ACCESS_KEY_ID: z.string(),
  LATCHFLOW_S3_SECRET_ACCESS_KEY: z.string(),
  LATCHFLOW_BODY_LIMIT_BYTES: positiveInt,
  LATCHFLOW_UPLOAD_LIMIT_BYTES: positiveInt,
  LATCHFLOW_CORS_ORIGINS: z.string(),
  LATCHFLOW_BOOTSTRAP_TOKEN: z.string().refine((v) => v === "" || v.length >= 16, {
    message: "must be at least 16 characters",
  }),
  LATCHFLOW_SMTP_URL: optionalUrl(["smtp://", "smtps://"]),
  LATCHFLOW_MAIL_FROM: z.string().min(3),
  LATCHFLOW_SESSION_IDLE_MINUTES: positiveInt,
  LATCHFLOW_SESSION_MAX_HOURS: positiveInt,
  LATCHFLOW_AUTH_HASH_KEY: z.string().refine((v) => v === "" || isBase64Key(v), {
    message: "must be base64 of exactly 32 bytes",
  }),
  LATCHFLOW_AUTH_RATE_LIMIT: positiveInt,
  LATCHFLOW_TRUST_PROXY: z.enum(["true", "false"]),
  LATCHFLOW_IDENTITY_CACHE_MS: z.coerce.number().int().min(0).max(60_000),
  LATCHFLOW_CONTRACT_CHECK: z.enum(["true", "false"]),
  LATCHFLOW_KERNEL_LEASE_MS: z.coerce.number().int().min(100),
  LATCHFLOW_KERNEL_POLL_MS: z.coerce.number().int().min(10),
  LATCHFLOW_EGRESS_ALLOW_PRIVATE: z.enum(["true", "false"]),
  LATCHFLOW_PLUGIN_REGISTRY: optionalUrl(["http://", "https://"]),
  LATCHFLOW_PLUGIN_MAX_BYTES: z.coerce.number().int().min(1024),
  LATCHFLOW_PLUGIN_SIGNATURES: z.enum(["warn", "require"]),
  LATCHFLOW_AUDIT_SIGNING_KEY: z.string().refine((v) => v === "" || isEd25519PrivateKey(v), {
    message: "must be an Ed25519 private key (PKCS#8 PEM, or base64 of the PKCS#8 DER)",
  }),
  LATCHFLOW_AUDIT_CHECKPOINT_EVERY: positiveInt,
  LATCHFLOW_BOOTSTRAP_EMAIL: z.string().regex(/^[^\s@]+@[^\s@]+$/, "must be an email address"),
});

export const ServiceName = {
  Auth: "auth",
  Bundles: "bundles",
  Storage: "storage",
  Audit: "audit",
  Gateway: "gateway",
  Kernel: "kernel",
} as const;
export type ServiceName = (typeof ServiceName)[keyof typeof ServiceName];
export const SERVICE_NAMES = Object.values(ServiceName);

/** Metrics and traces (ADR 012). */
export interface ObservabilityConfig {
  /** bearer token `/metrics` requires; undefined = open */
  metricsToken: Secret | undefined;
  /** distributed backends: port of the process's own `/metrics`; undefined = none */
  metricsPort: number | undefined;
  traceExporter: "none" | "otlp" | "console";
  /** OTLP/HTTP base URL; empty = the exporter's default */
  otlpEndpoint: string;
}

/** The compiled configuration. Runtime code sees only this, never `process.env`. */
export interface Config {
  development: boolean;
  logLevel: string;
  observability: ObservabilityConfig;
  http: {
    host: string;
    port: number;
    publicUrl: string;
    bodyLimitBytes: number;
    corsOrigins: string[];
    /** take the client IP from X-Forwarded-For */
    trustProxy: boolean;
    /** how long the gateway reuses an authenticated identity (0 = never; ADR 054) */
    identityCacheMs: number;
    uploadLimitBytes: number;
    /** the built recipient portal served at /portal/; empty until the launcher builds one */
    portalDir: string;
    /** the built admin app served at /admin/; empty until the launcher builds one */
    adminDir: string;
    /** check every response against the contract and turn a mismatch into a 500 (tests) */
    contractCheck: boolean;
  };
  dataDir: string;
  database: { kind: "sqlite" } | { kind: "postgres"; url: string; schemaPrefix: string; poolMax: number };
  bus: { kind: "in-process" } | { kind: "nats"; url: string; stream: string; namespace: string };
  grpc: { host: string; port: number; deadlineMs: number };
  addresses: Record<Exclude<ServiceName, "gateway">, string>;
  storage: StorageConfig;
  bootstrap: { token: string; email: string };
  mail: { smtpUrl: string; from: string };
  sessions: { idleMs: number; maxMs: number };
  /** requests per minute per IP and per identity on auth endpoints */
  authRateLimit: number;
  /** key of the HMAC over sign-in codes and links (base64), or undefined = the embedded key file */
  authHashKey: Secret | undefined;
  audit: AuditConfig;
  kernel: KernelConfig;
}

/** The orchestrator and the plugins it runs. */
export interface KernelConfig {
  leaseMs: number;
  pollMs: number;
  egressAllowPrivate: boolean;
  /** the npm-compatible registry plugins install from by name (LATCHFLOW_PLUGIN_REGISTRY) */
  pluginRegistry: string;
  /** the largest plugin tarball accepted (upload or registry download) */
  pluginMaxBytes: number;
  /** unsigned or untrusted packages: installed with a warning, or refused (ADR 042) */
  pluginSignatures: "warn" | "require";
}

/** The audit service's hash chain checkpoints. */
export interface AuditConfig {
  /** the Ed25519 private key (PEM or base64 PKCS#8 DER), or undefined = the embedded key file */
  signingKey: Secret | undefined;
  /** a signed checkpoint every this many records of a tenant */
  checkpointEvery: number;
}

/**
 * Variables that were renamed: setting the old name fails the start with the new name, rather than being
 * ignored silently (a registry the operator chose must never fall back to the default without a word).
 */
const RENAMED_VARS: Readonly<Record<string, string>> = {
  LATCHFLOW_NPM_REGISTRY: "LATCHFLOW_PLUGIN_REGISTRY",
};

/** Reads, validates and compiles the environment. Throws one error naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string> = {};
  for (const [name, spec] of Object.entries(ENV_VARS)) raw[name] = env[name]?.trim() || spec.default;
  const parsed = schema.safeParse(raw);
  const renamed = Object.entries(RENAMED_VARS)
    .filter(([old]) => env[old]?.trim())
    .map(([old, now]) => `${old}: renamed to ${now}; set that instead`);
  if (!parsed.success || renamed.length > 0) {
    const issues = parsed.success ? [] : parsed.error.issues;
    const problems = [...renamed, ...issues.map((i) => `${String(i.path[0])}: ${i.message}`)];
    throw new LatchflowError(ErrorCode.BadRequest, `Invalid configuration: ${problems.join("; ")}`, {
      details: { problems },
    });
  }
  const v = parsed.data;
  return {
    development: v.LATCHFLOW_ENV === "development",
    logLevel: v.LATCHFLOW_LOG_LEVEL,
    observability: {
      metricsToken: v.LATCHFLOW_METRICS_TOKEN ? new Secret(v.LATCHFLOW_METRICS_TOKEN) : undefined,
      metricsPort: v.LATCHFLOW_METRICS_PORT === "" ? undefined : v.LATCHFLOW_METRICS_PORT,
      traceExporter: v.LATCHFLOW_OTEL_EXPORTER,
      otlpEndpoint: v.OTEL_EXPORTER_OTLP_ENDPOINT,
    },
    http: {
      host: v.LATCHFLOW_HOST,
      port: v.LATCHFLOW_PORT,
      publicUrl: v.LATCHFLOW_PUBLIC_URL.replace(/\/$/, ""),
      bodyLimitBytes: v.LATCHFLOW_BODY_LIMIT_BYTES,
      corsOrigins: v.LATCHFLOW_CORS_ORIGINS.split(",")
        .map((s) => s.trim())
        .filter(Boolean),
      trustProxy: v.LATCHFLOW_TRUST_PROXY === "true",
      identityCacheMs: v.LATCHFLOW_IDENTITY_CACHE_MS,
      uploadLimitBytes: v.LATCHFLOW_UPLOAD_LIMIT_BYTES,
      portalDir: v.LATCHFLOW_PORTAL_DIR,
      adminDir: v.LATCHFLOW_ADMIN_DIR,
      contractCheck: v.LATCHFLOW_CONTRACT_CHECK === "true",
    },
    dataDir: v.LATCHFLOW_DATA_DIR,
    database: v.LATCHFLOW_DATABASE_URL
      ? {
          kind: "postgres",
          url: v.LATCHFLOW_DATABASE_URL,
          schemaPrefix: v.LATCHFLOW_DB_SCHEMA_PREFIX,
          poolMax: v.LATCHFLOW_DB_POOL_MAX,
        }
      : { kind: "sqlite" },
    bus: v.LATCHFLOW_NATS_URL
      ? {
          kind: "nats",
          url: v.LATCHFLOW_NATS_URL,
          stream: v.LATCHFLOW_NATS_STREAM,
          namespace: v.LATCHFLOW_NATS_NAMESPACE,
        }
      : { kind: "in-process" },
    grpc: {
      host: v.LATCHFLOW_GRPC_HOST,
      port: v.LATCHFLOW_GRPC_PORT,
      deadlineMs: v.LATCHFLOW_GRPC_DEADLINE_MS,
    },
    addresses: {
      auth: v.LATCHFLOW_AUTH_ADDR,
      bundles: v.LATCHFLOW_BUNDLES_ADDR,
      storage: v.LATCHFLOW_STORAGE_ADDR,
      audit: v.LATCHFLOW_AUDIT_ADDR,
      kernel: v.LATCHFLOW_KERNEL_ADDR,
    },
    storage: compileStorage(v),
    bootstrap: { token: v.LATCHFLOW_BOOTSTRAP_TOKEN, email: v.LATCHFLOW_BOOTSTRAP_EMAIL },
    mail: { smtpUrl: v.LATCHFLOW_SMTP_URL, from: v.LATCHFLOW_MAIL_FROM },
    sessions: {
      idleMs: v.LATCHFLOW_SESSION_IDLE_MINUTES * 60_000,
      maxMs: v.LATCHFLOW_SESSION_MAX_HOURS * 3_600_000,
    },
    authRateLimit: v.LATCHFLOW_AUTH_RATE_LIMIT,
    authHashKey: v.LATCHFLOW_AUTH_HASH_KEY ? new Secret(v.LATCHFLOW_AUTH_HASH_KEY) : undefined,
    audit: {
      signingKey: v.LATCHFLOW_AUDIT_SIGNING_KEY ? new Secret(v.LATCHFLOW_AUDIT_SIGNING_KEY) : undefined,
      checkpointEvery: v.LATCHFLOW_AUDIT_CHECKPOINT_EVERY,
    },
    kernel: {
      leaseMs: v.LATCHFLOW_KERNEL_LEASE_MS,
      pollMs: v.LATCHFLOW_KERNEL_POLL_MS,
      egressAllowPrivate: v.LATCHFLOW_EGRESS_ALLOW_PRIVATE === "true",
      pluginRegistry: v.LATCHFLOW_PLUGIN_REGISTRY || "https://registry.npmjs.org",
      pluginMaxBytes: v.LATCHFLOW_PLUGIN_MAX_BYTES,
      pluginSignatures: v.LATCHFLOW_PLUGIN_SIGNATURES,
    },
  };
}

/** A secret config value: prints, inspects and serializes as "[redacted]"; `reveal()` gives the value. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return "[redacted]";
  }
  toString(): string {
    return "[redacted]";
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return "[redacted]";
  }
}

/** Blob storage and encryption at rest (the storage service). */
export interface StorageConfig {
  /** the current master key (base64), or undefined = the embedded key file */
  masterKey: Secret | undefined;
  /** previous master keys (base64), for decryption during a rotation */
  oldMasterKeys: Secret[];
  blobDriver: "fs" | "s3";
  /** port of the HTTP byte plane (0 = a free one) */
  bytePlanePort: number;
  s3: {
    endpoint: string;
    region: string;
    bucket: string;
    prefix: string;
    accessKeyId: string;
    secretAccessKey: Secret | undefined;
  };
}

function splitList(v: string): string[] {
  return v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** An Ed25519 private key as PKCS#8 PEM or base64 DER (the key itself never appears in an error). */
export function parseEd25519PrivateKey(v: string): KeyObject {
  const text = v.trim();
  const key = text.startsWith("-----BEGIN")
    ? createPrivateKey(text)
    : createPrivateKey({ key: Buffer.from(text, "base64"), format: "der", type: "pkcs8" });
  if (key.asymmetricKeyType !== "ed25519") throw new Error("not an Ed25519 key");
  return key;
}

function isEd25519PrivateKey(v: string): boolean {
  try {
    parseEd25519PrivateKey(v);
    return true;
  } catch {
    return false;
  }
}

function isBase64Key(v: string): boolean {
  return /^[A-Za-z0-9+/]{43}=?$/.test(v) && Buffer.from(v, "base64").length === 32;
}

function compileStorage(v: z.infer<typeof schema>): StorageConfig {
  if (v.LATCHFLOW_BLOB_DRIVER === "s3" && !v.LATCHFLOW_S3_BUCKET) {
    const problems = ["LATCHFLOW_S3_BUCKET: required when LATCHFLOW_BLOB_DRIVER is s3"];
    throw new LatchflowError(ErrorCode.BadRequest, `Invalid configuration: ${problems.join("; ")}`, {
      details: { problems },
    });
  }
  return {
    masterKey: v.LATCHFLOW_MASTER_KEY ? new Secret(v.LATCHFLOW_MASTER_KEY) : undefined,
    oldMasterKeys: splitList(v.LATCHFLOW_MASTER_KEYS_OLD).map((k) => new Secret(k)),
    blobDriver: v.LATCHFLOW_BLOB_DRIVER,
    bytePlanePort: v.LATCHFLOW_STORAGE_HTTP_PORT,
    s3: {
      endpoint: v.LATCHFLOW_S3_ENDPOINT,
      region: v.LATCHFLOW_S3_REGION,
      bucket: v.LATCHFLOW_S3_BUCKET,
      prefix: v.LATCHFLOW_S3_PREFIX,
      accessKeyId: v.LATCHFLOW_S3_ACCESS_KEY_ID,
      secretAccessKey: v.LATCHFLOW_S3_SECRET_ACCESS_KEY
        ? new Secret(v.LATCHFLOW_S3_SECRET_ACCESS_KEY)
        : undefined,
    },
  };
}
