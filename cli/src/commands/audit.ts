// `latchflow audit tail|query|export|verify` over REST (@latchflow/api's audit area; audit:read). The launcher's
// `audit verify` (the database, or an export file offline), `checkpoint` and `public-key` run where the server
// runs; main.ts decides which by the arguments (isRemoteAudit in registry.ts).
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { schemas } from "@latchflow/api";
import { Scope } from "@latchflow/api/scopes";
import { type ApiClient, defineCommand, type OptionSpecs, shape } from "./command.js";
import { ExitCode, usageError } from "./exit-codes.js";
import type { Output } from "./output.js";
import { sleep } from "./poll.js";

const access = Scope.AuditRead;
const FILTERS = [
  "type",
  "bundle",
  "recipient",
  "pipeline",
  "trigger",
  "file",
  "assignment",
  "user",
  "actor",
  "from",
  "to",
] as const;

const filterOptions = {
  type: { type: "string", value: "TYPE", description: "an event type or a prefix of one, e.g. `bundles.`" },
  bundle: { type: "string", value: "NAME|ID", description: "only records about this bundle" },
  recipient: { type: "string", value: "EMAIL|ID", description: "only records about this recipient" },
  pipeline: { type: "string", value: "NAME|ID", description: "only records about this pipeline" },
  trigger: { type: "string", value: "ID", description: "only records about this trigger" },
  file: { type: "string", value: "ID", description: "only records about this file" },
  assignment: { type: "string", value: "ID", description: "only records about this assignment" },
  user: { type: "string", value: "EMAIL|ID", description: "only what this user did (not with --actor)" },
  actor: {
    type: "string",
    value: "KIND[:ID]",
    description: "user, token, recipient, system or pipeline_run (:id)",
  },
  from: { type: "string", value: "ISO", description: "occurred at or after, e.g. 2026-01-01T00:00:00Z" },
  to: { type: "string", value: "ISO", description: "occurred before" },
} as const satisfies OptionSpecs;

function filtersOf(options: Partial<Record<(typeof FILTERS)[number], string>>): schemas.AuditFilter {
  return Object.fromEntries(FILTERS.flatMap((k) => (options[k] === undefined ? [] : [[k, options[k]]])));
}

function recordLine(out: Output, r: schemas.AuditRecord): string {
  const subjects = Object.entries(r.subjectIds)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  return `${out.style("dim", `#${r.seq}`)} ${r.occurredAt} ${out.style("bold", r.type)} ${r.actor.kind}${r.actor.id ? `:${r.actor.id}` : ""}${subjects ? ` ${subjects}` : ""}`;
}

function limitOf(text: string | undefined, fallback: number, line: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 200)
    throw usageError("--limit is a whole number from 1 to 200", line);
  return n;
}

/** The records newer than `afterSeq` (all pages back to it), oldest first. */
async function newerThan(
  api: ApiClient,
  filter: schemas.AuditFilter,
  afterSeq: number,
): Promise<schemas.AuditRecord[]> {
  const found: schemas.AuditRecord[] = [];
  let cursor: string | undefined;
  do {
    const p = await api.listAuditRecords({ query: { ...filter, limit: 200, ...(cursor ? { cursor } : {}) } });
    const newer = p.items.filter((r) => r.seq > afterSeq);
    found.push(...newer);
    cursor = newer.length === p.items.length ? (p.nextCursor ?? undefined) : undefined;
  } while (cursor);
  return found.reverse();
}

export const tail = defineCommand({
  path: ["audit", "tail"],
  summary: "The latest audit records, oldest of them first; -f keeps printing new ones",
  usage: "latchflow audit tail [-n N] [-f] [--type TYPE] [filters]",
  examples: [
    "latchflow audit tail -n 50",
    "latchflow audit tail -f --type bundles. --json | jq -c '{seq, type}'",
  ],
  access,
  options: {
    lines: {
      type: "string",
      short: "n",
      value: "N",
      description: "how many records to start with (1–200, default 20)",
    },
    follow: { type: "boolean", short: "f", description: "keep polling for new records until Ctrl-C" },
    interval: { type: "string", value: "SECONDS", description: "with -f, seconds between polls (default 2)" },
    ...filterOptions,
  },
  output: {
    description: "one AuditRecord per line (NDJSON), oldest first",
    schema: shape((c) => c.schemas.AuditRecord),
  },
  async run(ctx) {
    const api = await ctx.api();
    const filter = filtersOf(ctx.options);
    const n = limitOf(ctx.options.lines, 20, ctx.commandLine);
    const interval = Number(ctx.options.interval ?? 2) * 1000;
    if (!(interval >= 100))
      throw usageError("--interval is a number of seconds, at least 0.1", ctx.commandLine);
    const print = (r: schemas.AuditRecord) =>
      ctx.out.json ? ctx.out.line(JSON.stringify(r)) : ctx.out.line(recordLine(ctx.out, r));
    const first = await api.listAuditRecords({ query: { ...filter, limit: n } });
    const initial = [...first.items].reverse();
    initial.forEach(print);
    let last = initial.at(-1)?.seq ?? 0;
    while (ctx.options.follow && !ctx.signal.aborted) {
      if (!(await sleep(interval, ctx.signal))) break;
      const fresh = await newerThan(api, filter, last);
      fresh.forEach(print);
      last = fresh.at(-1)?.seq ?? last;
    }
    return undefined;
  },
});

export const query = defineCommand({
  path: ["audit", "query"],
  summary: "Audit records matching filters, newest first, a page at a time",
  usage: "latchflow audit query [filters] [--limit N] [--cursor C] [--all]",
  examples: [
    "latchflow audit query --bundle 01KA2B… --from 2026-01-01T00:00:00Z",
    "latchflow audit query --actor user:01KA2B… --all --json | jq '.items | length'",
  ],
  access,
  options: {
    ...filterOptions,
    limit: { type: "string", value: "N", description: "at most N records (1–200, default 50)" },
    cursor: { type: "string", value: "CURSOR", description: "continue from a previous page's nextCursor" },
    all: { type: "boolean", description: "every matching record, following pages" },
  },
  output: {
    description: "{ items: AuditRecord[], nextCursor: string | null }",
    schema: shape((c) => c.page(c.schemas.AuditRecord)),
  },
  async run(ctx) {
    const api = await ctx.api();
    const filter = filtersOf(ctx.options);
    const result = ctx.options.all
      ? { items: (await newerThan(api, filter, 0)).reverse(), nextCursor: null }
      : await api.listAuditRecords({
          query: {
            ...filter,
            limit: limitOf(ctx.options.limit, 50, ctx.commandLine),
            ...(ctx.options.cursor ? { cursor: ctx.options.cursor } : {}),
          },
        });
    ctx.out.result(result, () => {
      if (result.items.length === 0) ctx.out.line(ctx.out.style("dim", "(none)"));
      for (const r of result.items) ctx.out.line(recordLine(ctx.out, r));
      if (result.nextCursor)
        ctx.out.note(`more: ${ctx.commandLine} … --cursor ${result.nextCursor} (or --all)`);
    });
    return undefined;
  },
});

/** A non-JSON answer's body as a Node stream: the CLI's own fetch hands one over, the global fetch a web stream. */
function bodyOf(answer: unknown): Readable {
  const a = answer as { stream?: Readable; body?: ReadableStream<Uint8Array> | null };
  if (a.stream) return a.stream;
  if (a.body) return Readable.fromWeb(a.body as import("node:stream/web").ReadableStream<Uint8Array>);
  return Readable.from([]);
}

export const exportRecords = defineCommand({
  path: ["audit", "export"],
  summary: "Export audit records, oldest first, as NDJSON (with signed checkpoints) or CSV, streamed",
  usage: "latchflow audit export [filters] [--format ndjson|csv] [-o FILE]",
  examples: [
    "latchflow audit export -o audit.ndjson && latchflow audit verify --file audit.ndjson --public-key key.pem",
    "latchflow audit export --type downloads. --format csv > downloads.csv",
  ],
  access,
  options: {
    ...filterOptions,
    format: {
      type: "string",
      value: "FORMAT",
      choices: ["ndjson", "csv"],
      description: "ndjson (default) or csv",
    },
    output: { type: "string", short: "o", value: "FILE", description: "write to FILE instead of stdout" },
  },
  output: {
    description: "with -o: { file, format, bytes }; without -o the export itself is the output",
    schema: shape((c) =>
      c.z.object({ file: c.z.string(), format: c.z.enum(["ndjson", "csv"]), bytes: c.z.number().int() }),
    ),
  },
  async run(ctx) {
    const format = ctx.options.format ?? "ndjson";
    if (format !== "ndjson" && format !== "csv")
      throw usageError("--format is ndjson or csv", ctx.commandLine);
    const answer: unknown = await (await ctx.api()).exportAuditRecords({
      query: { ...filtersOf(ctx.options), format },
      signal: ctx.signal,
    });
    const file = ctx.options.output;
    if (file === undefined) {
      await pipeline(bodyOf(answer), process.stdout, { end: false });
      return undefined;
    }
    let bytes = 0;
    const body = bodyOf(answer);
    body.on("data", (c: Buffer) => {
      bytes += c.length;
    });
    await pipeline(body, createWriteStream(file, { mode: 0o600 }));
    ctx.out.result({ file, format, bytes }, () =>
      ctx.out.note(`Wrote ${bytes} bytes of ${format} to ${file}`),
    );
    return undefined;
  },
});

function describeVerification(out: Output, v: schemas.AuditVerification): void {
  const c = v.checkpoints;
  out.line(
    `audit chain: ${v.ok ? "OK" : "BROKEN"}, ${v.checked} record(s) checked, head at seq ${v.head.seq}; ${
      c.anchoredSeq > 0
        ? `signed checkpoints verified: ${c.verified} (latest at seq ${c.anchoredSeq})`
        : "no signed checkpoint verified"
    }`,
  );
  if (c.skipped > 0) out.line(`  ${c.skipped} checkpoint(s) signed by another key were not checked`);
  if (v.firstBroken) {
    const b = v.firstBroken;
    out.line(`  BROKEN at seq ${b.seq}${b.id ? ` (record ${b.id})` : ""}: ${b.reason}: ${b.message}`);
  } else if (c.notYetCheckpointed) {
    out.line(
      `  records ${c.notYetCheckpointed.from}–${c.notYetCheckpointed.to} are not yet checkpointed (verified by the chain only)`,
    );
  }
}

export const verify = defineCommand({
  path: ["audit", "verify"],
  summary: "Have the server verify its audit hash chain and signed checkpoints (exit 1 when broken)",
  usage: "latchflow audit verify --remote | --server URL | --profile NAME",
  examples: [
    "latchflow audit verify --remote",
    "latchflow audit verify --server https://latchflow.example --json",
  ],
  access: `${access}. Without --remote/--server/--profile/--json, \`latchflow audit verify\` is the launcher's: it opens the audit database where the server runs (\`latchflow audit help\`)`,
  options: {
    remote: {
      type: "boolean",
      description: "verify over REST with your sign-in (implied by --server, --profile and --json)",
    },
  },
  output: {
    description:
      "AuditVerification: { ok, checked, head: { seq, hash }, checkpoints: { verified, skipped, anchoredSeq, notYetCheckpointed }, firstBroken? }",
    schema: shape((c) => c.schemas.AuditVerification),
  },
  async run(ctx) {
    const v = await (await ctx.api()).verifyAuditChain();
    ctx.out.result(v, () => describeVerification(ctx.out, v));
    return v.ok ? undefined : ExitCode.Error;
  },
});

export const commands = [tail, query, exportRecords, verify];
