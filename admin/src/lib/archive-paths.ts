/**
 * Paths of a bundle's files inside its archive, checked before saving. The server makes any path safe (ADR 008:
 * it drops `..`, replaces characters Windows forbids, adds ` (2)` to duplicates…); these checks refuse what it
 * would have to change, so the archive holds exactly the names the admin typed.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const BIDI = /[\u202a-\u202e\u2066-\u2069]/;
const FORBIDDEN = /[<>:"|?*]/;
const RESERVED_DEVICE = /^(con|prn|aux|nul|com[1-9¹²³]|lpt[1-9¹²³])$/i;
const MAX_SEGMENT_BYTES = 255;
const MAX_PATH_BYTES = 1024;

const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

/** A typed path as it is saved: trimmed, composed (NFC) as the server stores names. */
export const cleanArchivePath = (path: string): string => path.trim().normalize("NFC");

/** Why one path (cleaned, see {@link cleanArchivePath}) cannot be an archive entry as typed, or undefined. */
export function archivePathError(path: string): string | undefined {
  if (path.trim() === "") return "Give the file a path in the archive, e.g. “letters/2024.pdf”.";
  if (path.includes("\\")) return "Use “/” between folders, not “\\”.";
  if (path.startsWith("/")) return "The path starts inside the archive: remove the leading “/”.";
  if (path.endsWith("/")) return "The path ends with “/”: add the file's name.";
  if (path.includes("//")) return "The path has an empty folder name (“//”).";
  if (CONTROL.test(path) || BIDI.test(path)) return "The path cannot contain control characters.";
  const bad = FORBIDDEN.exec(path);
  if (bad) return `The path cannot contain “${bad[0]}” (not allowed in file names on Windows).`;
  if (utf8Length(path) > MAX_PATH_BYTES) return `The path is too long (at most ${MAX_PATH_BYTES} bytes).`;
  for (const segment of path.split("/")) {
    if (segment === "." || segment === "..") return "The path cannot contain “.” or “..” as a name.";
    if (/[. ]$/.test(segment)) return `“${segment}” cannot end with a dot or a space.`;
    if (RESERVED_DEVICE.test((segment.split(".")[0] ?? "").trimEnd()))
      return `“${segment}” is a name Windows reserves; choose another.`;
    if (utf8Length(segment) > MAX_SEGMENT_BYTES)
      return `“${segment.slice(0, 24)}…” is too long (at most ${MAX_SEGMENT_BYTES} bytes per name).`;
  }
  return undefined;
}

const keyOf = (path: string) => path.toLowerCase();

/**
 * Every path's error, in order: its own (see {@link archivePathError}), then clashes with the others, compared
 * as Windows and macOS do (case ignored): the same path twice, or a file where another path has a folder.
 */
export function archivePathErrors(paths: readonly string[]): (string | undefined)[] {
  const folders = new Set<string>();
  for (const p of paths) {
    const segments = keyOf(p).split("/");
    for (let i = 1; i < segments.length; i++) folders.add(segments.slice(0, i).join("/"));
  }
  const first = new Map<string, number>();
  paths.forEach((p, i) => {
    if (!first.has(keyOf(p))) first.set(keyOf(p), i);
  });
  return paths.map((p, i) => {
    const own = archivePathError(p);
    if (own) return own;
    const at = first.get(keyOf(p));
    if (at !== undefined && at !== i) return `File ${at + 1} already has this path; paths must differ.`;
    if (folders.has(keyOf(p))) return "Another file is inside a folder of this name; choose another name.";
    return undefined;
  });
}

/**
 * The path a newly added file gets: its name, or its folder and name when the name is taken, or a numbered name.
 */
export function defaultArchivePath(file: { name: string; folder: string }, taken: readonly string[]): string {
  const used = new Set(taken.map(keyOf));
  const inFolder = `${file.folder.replace(/^\/+/, "")}/${file.name}`.replace(/^\/+/, "");
  for (const candidate of [file.name, inFolder]) if (!used.has(keyOf(candidate))) return candidate;
  const dot = file.name.lastIndexOf(".");
  const [stem, ext] = dot > 0 ? [file.name.slice(0, dot), file.name.slice(dot)] : [file.name, ""];
  for (let n = 2; ; n++) {
    const candidate = `${stem} (${n})${ext}`;
    if (!used.has(keyOf(candidate))) return candidate;
  }
}
