/**
 * The one subject builder. Subjects are `lf.<tenant>.<domain>.<entity>.<verb>`; nobody concatenates
 * subjects at a call site. Filters use NATS wildcards: `*` is one token, `>` one or more trailing tokens.
 */

/** First token of every Latchflow event subject. */
export const SUBJECT_ROOT = "lf";

const TENANT = /^[a-z0-9][a-z0-9-]{0,62}$/;
const TYPE_TOKEN = /^[a-z][a-z0-9-]*$/;
/** A filter token: a literal without whitespace or wildcard characters, or a wildcard. */
const FILTER_TOKEN = /^(\*|>|[^\s.*>]+)$/;

/** Throws unless `tenant` is a lowercase DNS-label-like id (`^[a-z0-9][a-z0-9-]{0,62}$`). */
export function assertTenant(tenant: string): void {
  if (!TENANT.test(tenant)) {
    throw new Error(`Invalid tenant ${JSON.stringify(tenant)}: expected ^[a-z0-9][a-z0-9-]{0,62}$`);
  }
}

function assertTypeToken(token: string, what: string): void {
  if (!TYPE_TOKEN.test(token)) {
    throw new Error(`Invalid ${what} ${JSON.stringify(token)}: expected ^[a-z][a-z0-9-]*$`);
  }
}

/** Throws unless `type` is exactly `<domain>.<entity>.<verb>` of lowercase tokens. */
export function assertEventType(type: string): void {
  const tokens = type.split(".");
  if (tokens.length !== 3 || !tokens.every((t) => TYPE_TOKEN.test(t))) {
    throw new Error(
      `Invalid event type ${JSON.stringify(type)}: expected <domain>.<entity>.<verb>, each ^[a-z][a-z0-9-]*$`,
    );
  }
}

/** The concrete subject of an event: `lf.<tenant>.<domain>.<entity>.<verb>`. */
export function subjectFor(tenant: string, type: string): string {
  assertTenant(tenant);
  assertEventType(type);
  return `${SUBJECT_ROOT}.${tenant}.${type}`;
}

export interface SubjectFilterParts {
  tenant?: string;
  domain?: string;
  entity?: string;
}

/**
 * A wildcard filter over event subjects: `{}` → `lf.>`, `{ domain: "bundles" }` → `lf.*.bundles.>`,
 * `{ tenant: "acme", entity: "user" }` → `lf.acme.*.user.*`.
 */
export function subjectFilter(parts: SubjectFilterParts = {}): string {
  const { tenant, domain, entity } = parts;
  if (tenant !== undefined) assertTenant(tenant);
  if (domain !== undefined) assertTypeToken(domain, "domain");
  if (entity !== undefined) assertTypeToken(entity, "entity");
  const tokens = [SUBJECT_ROOT];
  if (entity !== undefined) return [...tokens, tenant ?? "*", domain ?? "*", entity, "*"].join(".");
  if (domain !== undefined) return [...tokens, tenant ?? "*", domain, ">"].join(".");
  if (tenant !== undefined) return [...tokens, tenant, ">"].join(".");
  return [...tokens, ">"].join(".");
}

/**
 * Throws unless `filter` is a well-formed filter over Latchflow subjects: starts with `lf`, no empty
 * tokens, wildcards only as whole tokens, `>` only last.
 */
export function assertFilter(filter: string): void {
  const tokens = filter.split(".");
  const bad = (why: string): never => {
    throw new Error(`Invalid subject filter ${JSON.stringify(filter)}: ${why}`);
  };
  if (tokens[0] !== SUBJECT_ROOT) bad(`must start with "${SUBJECT_ROOT}."`);
  if (tokens.length < 2) bad("must have at least two tokens");
  tokens.forEach((token, i) => {
    if (!FILTER_TOKEN.test(token)) bad(`bad token ${JSON.stringify(token)}`);
    if (token === ">" && i !== tokens.length - 1) bad('">" must be the last token');
  });
}

/** NATS wildcard matching: does the concrete `subject` fall under `filter`? */
export function matchSubject(filter: string, subject: string): boolean {
  const f = filter.split(".");
  const s = subject.split(".");
  for (let i = 0; i < f.length; i++) {
    const token = f[i];
    if (token === ">") return s.length > i;
    if (i >= s.length) return false;
    if (token !== "*" && token !== s[i]) return false;
  }
  return f.length === s.length;
}
