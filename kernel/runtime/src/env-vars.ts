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
  LATCHFLOW_BUS_RETENTION_DAYS: {
    default: "7",
    doc: "Events that every consumer has handled are removed from the bus (the in-process log or the JetStream stream) once this many days old; an event a consumer still needs is kept. See [ADR 074](docs/adr/074-bus-retention.md).",
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
  LATCHFLOW_PLUGIN_CONCURRENCY: {
    default: "32",
    doc: "How many invocations of one plugin run at once in the plugin host (1–1024), each in its own context within the plugin's memory limit; more wait their turn, and the wait counts against their deadline. Raise it for a plugin that waits long on the network; each running invocation holds memory of the plugin's isolate. ADR 076.",
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
