import type { InputOf, operations, schemas } from "@latchflow/api";
import { ApiError } from "@latchflow/api/client";
import { ErrorCode } from "@latchflow/api/errors";
import { MESSAGE_RULE, normalizeMessage, PASSPHRASE_RULE } from "@latchflow/api/rules";
import { formatDate, formatSize } from "./format.js";

type Assignment = schemas.Assignment;
type CreateBody = InputOf<typeof operations.createAssignment>["body"];
type UpdateBody = NonNullable<InputOf<typeof operations.updateAssignment>["body"]>;

/** The most downloads an assignment may allow (the contract's bound). */
export const MAX_DOWNLOADS = 1_000_000;

/** `YYYY-MM-DDTHH:mm` in the browser's time zone, as a datetime-local field shows it ("" for none). */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** A datetime-local field's value as an ISO time: null when empty, undefined when it is no time. */
export function fromLocalInput(value: string): string | null | undefined {
  const v = value.trim();
  if (!v) return null;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v)) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** The assignment form as typed: text fields stay text until checked. */
export interface AssignmentForm {
  /** "" or "0" = no limit */
  maxDownloads: string;
  notBefore: string;
  notAfter: string;
  enabled: boolean;
  /** keep the passphrase as it is, set a new one, or remove it */
  passphrase: "keep" | "set" | "clear";
  newPassphrase: string;
  message: string;
  acknowledgementRequired: boolean;
  /** give the downloads used back */
  resetUsage: boolean;
}

export type FormField = "maxDownloads" | "notBefore" | "notAfter" | "newPassphrase" | "message";

/** The form for a new assignment, or filled from one (the passphrase is never known: only whether one is set). */
export function formFrom(a?: Assignment): AssignmentForm {
  return {
    maxDownloads: a && a.maxDownloads > 0 ? String(a.maxDownloads) : "",
    notBefore: toLocalInput(a?.notBefore),
    notAfter: toLocalInput(a?.notAfter),
    enabled: a?.enabled ?? true,
    passphrase: "keep",
    newPassphrase: "",
    message: a?.message ?? "",
    acknowledgementRequired: a?.acknowledgementRequired ?? false,
    resetUsage: false,
  };
}

export interface CheckedForm {
  maxDownloads: number;
  notBefore: string | null;
  notAfter: string | null;
  message: string;
}

/**
 * The form checked by the contract's own rules (downloads, the window's order, PASSPHRASE_RULE, MESSAGE_RULE), so
 * the person hears of a mistake at the field before sending; the server checks all of it again.
 */
export function checkForm(form: AssignmentForm): {
  errors: Partial<Record<FormField, string>>;
  value?: CheckedForm;
} {
  const errors: Partial<Record<FormField, string>> = {};
  const max = form.maxDownloads.trim();
  const maxDownloads = max === "" ? 0 : Number(max);
  if (!Number.isInteger(maxDownloads) || maxDownloads < 0 || maxDownloads > MAX_DOWNLOADS) {
    errors.maxDownloads = `Enter a whole number from 0 to ${MAX_DOWNLOADS.toLocaleString("en")} (empty or 0: no limit).`;
  }
  const notBefore = fromLocalInput(form.notBefore);
  const notAfter = fromLocalInput(form.notAfter);
  if (notBefore === undefined) errors.notBefore = "Enter a date and time, or leave it empty.";
  if (notAfter === undefined) errors.notAfter = "Enter a date and time, or leave it empty.";
  else if (notBefore && notAfter && Date.parse(notAfter) <= Date.parse(notBefore)) {
    errors.notAfter = "The end must be later than the start.";
  }
  if (form.passphrase === "set") {
    const n = [...form.newPassphrase].length;
    if (n < PASSPHRASE_RULE.minLength || n > PASSPHRASE_RULE.maxLength) {
      errors.newPassphrase = `Use ${PASSPHRASE_RULE.minLength} to ${PASSPHRASE_RULE.maxLength} characters.`;
    }
  }
  const message = normalizeMessage(form.message);
  if (message === undefined) {
    errors.message = `Plain text of at most ${MESSAGE_RULE.maxLength.toLocaleString("en")} characters, without control characters.`;
  } else if (form.acknowledgementRequired && message.trim() === "") {
    errors.message = "Write the message the recipient confirms, or do not ask for a confirmation.";
  }
  if (Object.keys(errors).length) return { errors };
  return {
    errors,
    value: { maxDownloads, notBefore: notBefore ?? null, notAfter: notAfter ?? null, message: message ?? "" },
  };
}

/** The body that assigns a bundle to one recipient, from a checked form. */
export function createBody(form: AssignmentForm, value: CheckedForm, recipientId: string): CreateBody {
  return {
    recipientId,
    maxDownloads: value.maxDownloads,
    ...(value.notBefore ? { notBefore: value.notBefore } : {}),
    ...(value.notAfter ? { notAfter: value.notAfter } : {}),
    enabled: form.enabled,
    ...(form.passphrase === "set" ? { passphrase: form.newPassphrase } : {}),
    ...(value.message ? { message: value.message } : {}),
    acknowledgementRequired: form.acknowledgementRequired,
  };
}

/** Only what changed, so an edit never touches what the person left alone (nor an acknowledgement given). */
export function updateBody(form: AssignmentForm, value: CheckedForm, a: Assignment): UpdateBody {
  const body: UpdateBody = {};
  if (value.maxDownloads !== a.maxDownloads) body.maxDownloads = value.maxDownloads;
  const same = (x: string | null, y: string | null) => (x && y ? Date.parse(x) === Date.parse(y) : x === y);
  // the form holds minutes: an unchanged field keeps the stored time exactly
  if (form.notBefore !== toLocalInput(a.notBefore) && !same(value.notBefore, a.notBefore))
    body.notBefore = value.notBefore;
  if (form.notAfter !== toLocalInput(a.notAfter) && !same(value.notAfter, a.notAfter))
    body.notAfter = value.notAfter;
  if (form.enabled !== a.enabled) body.enabled = form.enabled;
  if (form.passphrase === "set") body.passphrase = form.newPassphrase;
  if (form.passphrase === "clear" && a.passphraseRequired) body.passphrase = null;
  if (value.message !== a.message) body.message = value.message;
  if (form.acknowledgementRequired !== a.acknowledgementRequired)
    body.acknowledgementRequired = form.acknowledgementRequired;
  if (form.resetUsage) body.resetUsage = true;
  return body;
}

/** Where the assignment's window stands now. */
export function windowState(
  a: Pick<Assignment, "notBefore" | "notAfter">,
  now: Date,
): "open" | "upcoming" | "closed" {
  if (a.notBefore && Date.parse(a.notBefore) > now.getTime()) return "upcoming";
  if (a.notAfter && Date.parse(a.notAfter) <= now.getTime()) return "closed";
  return "open";
}

/** The window in words: "Opens …", "Closed …", "Open until …", "Open, no end". */
export function windowWords(a: Pick<Assignment, "notBefore" | "notAfter">, now: Date): string {
  const state = windowState(a, now);
  if (state === "upcoming" && a.notBefore) return `Opens ${formatDate(a.notBefore)}`;
  if (state === "closed" && a.notAfter) return `Closed ${formatDate(a.notAfter)}`;
  return a.notAfter ? `Open until ${formatDate(a.notAfter)}` : "Open, no end";
}

/** "2 of 5 used", "3 used · no limit". */
export function usageWords(a: Pick<Assignment, "used" | "maxDownloads">): string {
  return a.maxDownloads > 0
    ? `${a.used.toLocaleString("en")} of ${a.maxDownloads.toLocaleString("en")} used`
    : `${a.used.toLocaleString("en")} used · no limit`;
}

/** A download's progress in words: "Completed", or "1.2 MB of 3 MB". */
export function progressWords(
  d: Pick<schemas.AssignmentDownload, "completedAt" | "bytesSent" | "size">,
): string {
  if (d.completedAt) return "Completed";
  return `Not completed: ${formatSize(d.bytesSent)} of ${formatSize(d.size)}`;
}

/** Which form field a server's refusal names (its 422 issues' paths, or details.field). */
const FIELD_OF: Readonly<Record<string, FormField>> = {
  maxDownloads: "maxDownloads",
  notBefore: "notBefore",
  notAfter: "notAfter",
  passphrase: "newPassphrase",
  message: "message",
  acknowledgementRequired: "message",
};

/** The server's refusal of a body, at the fields it names (empty when it names none). */
export function serverFieldErrors(err: unknown): Partial<Record<FormField, string>> {
  const out: Partial<Record<FormField, string>> = {};
  if (!(err instanceof ApiError) || err.code !== ErrorCode.ValidationFailed) return out;
  const place = (field: unknown, message: string) => {
    const at = typeof field === "string" ? FIELD_OF[field] : undefined;
    if (at && !out[at]) out[at] = message;
  };
  const issues = Array.isArray(err.details.issues) ? err.details.issues : [];
  for (const issue of issues as { path?: unknown; message?: unknown }[]) {
    place(issue.path, String(issue.message ?? err.message));
  }
  place(err.details.field, err.message);
  return out;
}
