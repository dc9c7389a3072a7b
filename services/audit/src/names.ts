import { validationFailed } from "@latchflow/runtime";
import type { Database } from "@latchflow/runtime/db";
import { AuditRecord } from "./entities.js";
import type { AuditFilter, IdMatch } from "./query.js";

/**
 * Names as the audit log knows them (ADR 032): the events that create, rename or delete an entity carry its
 * name (a bundle's or pipeline's name, a recipient's or user's email address), so the log can tell which ids
 * ever had a name — deleted entities included — and what an id was last called, without asking the services
 * that own those entities (and with no more than audit:read).
 */
interface NameSource {
  /** the REST filter field (named in a 422) and the `labels` key prefix */
  field: "bundle" | "recipient" | "pipeline" | "user";
  /** what the field is called in a sentence */
  noun: string;
  /** event types whose data carries the name */
  types: readonly string[];
  /** the data member holding the name */
  member: "name" | "email";
  /** the subject id key of the entity in the event's subject ids */
  subject: "bundleId" | "recipientId" | "pipelineId" | "userId";
}

const SOURCES = {
  bundle: {
    field: "bundle",
    noun: "bundle named",
    types: ["bundles.bundle.created", "bundles.bundle.updated", "bundles.bundle.deleted"],
    member: "name",
    subject: "bundleId",
  },
  recipient: {
    field: "recipient",
    noun: "recipient with the address",
    types: ["auth.recipient.created", "auth.recipient.deleted"],
    member: "email",
    subject: "recipientId",
  },
  pipeline: {
    field: "pipeline",
    noun: "pipeline named",
    types: ["pipelines.pipeline.saved", "pipelines.pipeline.deleted"],
    member: "name",
    subject: "pipelineId",
  },
  user: {
    field: "user",
    noun: "user with the address",
    types: ["auth.user.created", "auth.user.invited"],
    member: "email",
    subject: "userId",
  },
} as const satisfies Record<string, NameSource>;

/** The indexed column of a subject key, when there is one (userId has none: users are few). */
const COLUMN = { bundleId: "bundleId", recipientId: "recipientId", pipelineId: "pipelineId" } as const;

/**
 * A LIKE pattern that finds `"<member>":<value as JSON>` in the stored canonical data. It only narrows the
 * rows read (the exact comparison is done on the parsed data): LIKE's wildcards and escape characters in the
 * value become `_`, which matches them and anything else, the same on SQLite and PostgreSQL.
 */
function likePattern(member: string, value: string): string {
  const text = `"${member}":${JSON.stringify(value)}`;
  return `%${text.replace(/[\\%_]/g, "_")}%`;
}

interface Named {
  id: string;
  name: string;
  seq: number;
}

function parse(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function namedOf(
  source: NameSource,
  row: Pick<AuditRecord, "seq" | "subjectIds" | "data">,
): Named | undefined {
  const name = parse(row.data)[source.member];
  const id = parse(row.subjectIds)[source.subject];
  if (typeof name !== "string" || typeof id !== "string" || !id) return undefined;
  return { id, name, seq: Number(row.seq) };
}

/** Every id that was ever given `name` by an event of the source (oldest first, no repeats). */
async function idsNamed(db: Database, tenant: string, source: NameSource, name: string): Promise<string[]> {
  const rows = await db
    .em()
    .find(
      AuditRecord,
      { tenant, type: { $in: [...source.types] }, data: { $like: likePattern(source.member, name) } },
      { orderBy: { seq: "asc" }, fields: ["seq", "subjectIds", "data"] },
    );
  const ids = rows.map((r) => namedOf(source, r)).filter((n) => n?.name === name);
  return [...new Set(ids.map((n) => n!.id))];
}

const asList = (v: IdMatch | undefined): readonly string[] | undefined =>
  v === undefined ? undefined : typeof v === "string" ? [v] : v;

/** The ids a name resolved to, narrowed to those an id filter of the same subject also names. */
function narrowed(named: string[], given: IdMatch | undefined): string[] {
  const also = asList(given);
  return also ? named.filter((id) => also.includes(id)) : named;
}

/**
 * The filter with its names replaced by the ids that ever had them (a user's email by the actor `user` with
 * those ids). A name no event ever gave is a validation failure naming the field, so a typo is not mistaken
 * for "nothing happened".
 */
export async function resolveNames(db: Database, tenant: string, filter: AuditFilter): Promise<AuditFilter> {
  const { bundleName, recipientEmail, pipelineName, userEmail, ...out } = filter;
  const resolve = async (source: NameSource, name: string) => {
    const ids = await idsNamed(db, tenant, source, name);
    if (ids.length === 0) {
      const message = `No ${source.noun} “${name}” appears in the audit log`;
      throw validationFailed(message, { issues: [{ path: source.field, message }] });
    }
    return ids;
  };
  if (bundleName) out.bundleId = narrowed(await resolve(SOURCES.bundle, bundleName), out.bundleId);
  if (recipientEmail)
    out.recipientId = narrowed(await resolve(SOURCES.recipient, recipientEmail), out.recipientId);
  if (pipelineName) out.pipelineId = narrowed(await resolve(SOURCES.pipeline, pipelineName), out.pipelineId);
  if (userEmail) {
    out.actorKind = "user";
    out.actorId = await resolve(SOURCES.user, userEmail);
  }
  return out;
}

/** True when a resolved filter can match nothing (a name and an id of the same subject that disagree). */
export function matchesNothing(f: AuditFilter): boolean {
  return [f.bundleId, f.recipientId, f.pipelineId, f.actorId].some((v) => Array.isArray(v) && v.length === 0);
}

/** The latest name each id was given by an event of the source. */
async function namesOf(
  db: Database,
  tenant: string,
  source: NameSource,
  ids: ReadonlySet<string>,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (ids.size === 0) return out;
  const column = COLUMN[source.subject as keyof typeof COLUMN];
  const rows = await db.em().find(
    AuditRecord,
    {
      tenant,
      type: { $in: [...source.types] },
      ...(column ? { [column]: { $in: [...ids] } } : {}),
    },
    { orderBy: { seq: "desc" }, fields: ["seq", "subjectIds", "data"] },
  );
  for (const row of rows) {
    const n = namedOf(source, row);
    if (n && ids.has(n.id) && !out.has(n.id)) out.set(n.id, n.name);
  }
  return out;
}

/**
 * What the records' actors and subjects are called, keyed `<kind>:<id>`: users (actors and subjects),
 * recipients (actors and subjects), bundles and pipelines (subjects).
 */
export async function labelsFor(
  db: Database,
  tenant: string,
  records: readonly AuditRecord[],
): Promise<Record<string, string>> {
  const wanted = {
    user: new Set<string>(),
    recipient: new Set<string>(),
    bundle: new Set<string>(),
    pipeline: new Set<string>(),
  };
  for (const r of records) {
    if (r.actorKind === "user") wanted.user.add(r.actorId);
    if (r.actorKind === "recipient") wanted.recipient.add(r.actorId);
    const subjects = parse(r.subjectIds);
    for (const key of Object.keys(wanted) as (keyof typeof wanted)[]) {
      const id = subjects[SOURCES[key].subject];
      if (typeof id === "string" && id) wanted[key].add(id);
    }
  }
  const labels: Record<string, string> = {};
  for (const key of Object.keys(wanted) as (keyof typeof wanted)[]) {
    const names = await namesOf(db, tenant, SOURCES[key], wanted[key]);
    for (const [id, name] of names) labels[`${key}:${id}`] = name;
  }
  return labels;
}
