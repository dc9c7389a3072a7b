import { createPrivateKey, type KeyObject } from "node:crypto";
import { z } from "zod";
import { ENV_VARS } from "./env-vars.js";
import { ErrorCode, LatchflowError } from "./errors.js";

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
  LATCHFLOW_BUS_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500),
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
  LATCHFLOW_PLUGIN_CONCURRENCY: z.coerce.number().int().min(1).max(1024),
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
  bus: ({ kind: "in-process" } | { kind: "nats"; url: string; stream: string; namespace: string }) & {
    /** how long events every consumer has handled stay on the bus (ADR 074) */
    retentionMs: number;
  };
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
  /** invocations of one plugin running at once in the plugin host; more wait their turn (ADR 076) */
  pluginConcurrency: number;
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
    bus: {
      ...(v.LATCHFLOW_NATS_URL
        ? {
            kind: "nats",
            url: v.LATCHFLOW_NATS_URL,
            stream: v.LATCHFLOW_NATS_STREAM,
            namespace: v.LATCHFLOW_NATS_NAMESPACE,
          }
        : { kind: "in-process" }),
      retentionMs: v.LATCHFLOW_BUS_RETENTION_DAYS * 86_400_000,
    },
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
      pluginConcurrency: v.LATCHFLOW_PLUGIN_CONCURRENCY,
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
