import { ErrorCode, LatchflowError } from "@latchflow/runtime";

/** Longest entry-name segment, in UTF-8 bytes (common file-system limit). */
export const MAX_SEGMENT_BYTES = 255;
/** Longest whole entry name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 1024;
/** Name used when nothing usable is left of an admin-chosen path. */
const FALLBACK_NAME = "file";
/** Extensions longer than this are treated as part of the stem when truncating or suffixing. */
const MAX_EXTENSION_BYTES = 32;

// C0 and C1 controls, DEL, bidi embedding/override/isolate controls (file-name spoofing such as
// "gpj.exe" shown as "exe.jpg"), and the characters Windows forbids in names (`:` included, which
// also takes care of drive letters and NTFS alternate streams in any segment).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069<>:"|?*]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const DRIVE_PREFIX = /^[a-z]:/i;
const TRAILING_DOTS_SPACES = /[. ]+$/;
const RESERVED_DEVICE = /^(con|prn|aux|nul|com[1-9¹²³]|lpt[1-9¹²³])$/i;

const utf8Length = (s: string): number => Buffer.byteLength(s, "utf8");

/** Cuts `s` to at most `maxBytes` UTF-8 bytes on a code-point boundary. */
function truncateUtf8(s: string, maxBytes: number): string {
  if (utf8Length(s) <= maxBytes) return s;
  let out = "";
  let bytes = 0;
  for (const ch of s) {
    const n = utf8Length(ch);
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** Splits a segment into stem and extension (`.bashrc` and over-long extensions have none). */
function splitExtension(segment: string): [stem: string, ext: string] {
  const dot = segment.lastIndexOf(".");
  if (dot <= 0) return [segment, ""];
  const ext = segment.slice(dot);
  if (utf8Length(ext) > MAX_EXTENSION_BYTES) return [segment, ""];
  return [segment.slice(0, dot), ext];
}

/** Builds `stem + tail + ext` within `maxBytes`, shortening the stem (never to nothing). */
function fitSegment(segment: string, tail: string, maxBytes: number): string {
  const [stem, ext] = splitExtension(segment);
  const budget = maxBytes - utf8Length(tail + ext);
  const cut = truncateUtf8(stem, budget).replace(TRAILING_DOTS_SPACES, "");
  return (cut === "" ? "_" : cut) + tail + ext;
}

function sanitizeSegment(raw: string): string | undefined {
  let seg = raw.replace(UNSAFE_CHARS, "_").replace(TRAILING_DOTS_SPACES, "");
  if (seg === "") return undefined; // also drops "." and ".." (all dots)
  const device = seg.split(".")[0]!.replace(/ +$/, "");
  if (RESERVED_DEVICE.test(device)) seg = "_" + seg;
  return utf8Length(seg) > MAX_SEGMENT_BYTES ? fitSegment(seg, "", MAX_SEGMENT_BYTES) : seg;
}

/** Keeps the file name and as many leading directories as fit in {@link MAX_NAME_BYTES}. */
function fitName(segments: string[]): string {
  const whole = segments.join("/");
  if (utf8Length(whole) <= MAX_NAME_BYTES) return whole;
  const file = segments[segments.length - 1]!;
  let budget = MAX_NAME_BYTES - utf8Length(file);
  const dirs: string[] = [];
  for (const dir of segments.slice(0, -1)) {
    const cost = utf8Length(dir) + 1;
    if (cost > budget) break;
    dirs.push(dir);
    budget -= cost;
  }
  return [...dirs, file].join("/");
}

/**
 * Makes one admin-chosen path a safe relative ZIP entry name (no uniqueness; see
 * {@link sanitizeEntryNames}). Idempotent: a safe name is returned unchanged.
 */
export function sanitizeEntryName(path: string): string {
  const unified = path.replace(LONE_SURROGATE, "_").normalize("NFC").replace(/\\/g, "/");
  const segments: string[] = [];
  for (const raw of unified.replace(DRIVE_PREFIX, "").split("/")) {
    const seg = sanitizeSegment(raw);
    if (seg !== undefined) segments.push(seg);
  }
  if (segments.length === 0) return FALLBACK_NAME;
  return fitName(segments);
}

const keyOf = (name: string): string => name.toLowerCase();

function directoryKeys(names: readonly string[]): Set<string> {
  const dirs = new Set<string>();
  for (const name of names) {
    let slash = name.indexOf("/");
    while (slash !== -1) {
      dirs.add(keyOf(name.slice(0, slash)));
      slash = name.indexOf("/", slash + 1);
    }
  }
  return dirs;
}

function withCounter(name: string, n: number): string {
  const segments = name.split("/");
  const file = segments.pop()!;
  const dirs = segments.join("/");
  const dirBytes = dirs === "" ? 0 : utf8Length(dirs) + 1;
  const maxBytes = Math.min(MAX_SEGMENT_BYTES, MAX_NAME_BYTES - dirBytes);
  const renamed = fitSegment(file, ` (${n})`, Math.max(maxBytes, 16));
  return sanitizeEntryName(dirs === "" ? renamed : `${dirs}/${renamed}`);
}

/**
 * Turns admin-chosen archive paths into safe, unique ZIP entry names, one output per input, same
 * order. Deterministic and idempotent.
 *
 * Per name: NFC; `\` becomes `/`; drive letters, empty, `.` and `..` segments are dropped (a name
 * never escapes the archive root); control, bidi-override and Windows-invalid characters
 * (`<>:"|?*`) become `_`; trailing dots and spaces are trimmed; Windows device names (`CON`,
 * `com1.txt`…) get a `_` prefix; segments are cut to 255 UTF-8 bytes (keeping a short extension)
 * and names to 1,024 bytes (keeping the file name and leading directories); nothing left → `file`.
 *
 * Then, case-insensitively: a name that is unique and is no other name's directory keeps its name;
 * later duplicates and files that clash with a directory get ` (2)`, ` (3)`… before the extension.
 */
export function sanitizeEntryNames(paths: readonly string[]): string[] {
  const names = paths.map(sanitizeEntryName);
  const dirs = directoryKeys(names);
  const firstIndex = new Map<string, number>();
  names.forEach((name, i) => {
    if (!firstIndex.has(keyOf(name))) firstIndex.set(keyOf(name), i);
  });
  const taken = new Set<string>();
  for (const [key] of firstIndex) if (!dirs.has(key)) taken.add(key);
  return names.map((name, i) => {
    const key = keyOf(name);
    if (firstIndex.get(key) === i && !dirs.has(key)) return name;
    for (let n = 2; ; n++) {
      const candidate = withCounter(name, n);
      const candidateKey = keyOf(candidate);
      if (taken.has(candidateKey) || dirs.has(candidateKey)) continue;
      taken.add(candidateKey);
      return candidate;
    }
  });
}

/**
 * Throws a `validation_failed` {@link LatchflowError} unless `names` are already what
 * {@link sanitizeEntryNames} would produce (safe, NFC, unique, no file/directory clash).
 */
export function assertEntryNames(names: readonly string[]): void {
  const safe = sanitizeEntryNames(names);
  const index = safe.findIndex((name, i) => name !== names[i]);
  if (index === -1) return;
  throw new LatchflowError(ErrorCode.ValidationFailed, "Archive entry name is not sanitized", {
    details: { index, name: names[index], expected: safe[index] },
  });
}
