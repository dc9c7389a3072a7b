/**
 * Folders of the file library. A file carries its folder as an absolute `/`-separated path (`/`, `/letters/2024`);
 * folders exist only through the files in them. These rules mirror the server's (services/bundles normalizeFolder),
 * so the pages can say what is wrong before asking; the server still decides.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const MAX_FOLDER = 1024;
const MAX_SEGMENT = 255;

export const ROOT = "/";

/** The folder's segments: `/a/b` → `["a", "b"]`, `/` → `[]`. */
export const segmentsOf = (folder: string): string[] => folder.split("/").filter((s) => s.length > 0);

/** `/a/b` + `c/d` → `/a/b/c/d`; empty parts drop out. */
export function joinFolder(base: string, relative: string): string {
  const all = [...segmentsOf(base), ...segmentsOf(relative)];
  return `/${all.join("/")}`;
}

/** `/a/b` → `/a`; `/` stays `/`. */
export const parentOf = (folder: string): string => `/${segmentsOf(folder).slice(0, -1).join("/")}`;

/** The last segment's name (`/a/b` → `b`), or "" for the top. */
export const folderName = (folder: string): string => segmentsOf(folder).at(-1) ?? "";

/** A folder typed by a person, made canonical, or the reason it cannot be one. */
export function parseFolder(raw: string): { folder: string } | { error: string } {
  const segments = segmentsOf(raw.trim());
  if (segments.some((s) => s === "." || s === ".."))
    return { error: "A folder cannot contain “.” or “..” as a name." };
  if (segments.some((s) => CONTROL_CHARS.test(s)))
    return { error: "A folder name cannot contain control characters." };
  if (segments.some((s) => s.length > MAX_SEGMENT))
    return { error: `Each folder name can be at most ${MAX_SEGMENT} characters.` };
  const folder = `/${segments.join("/")}`;
  if (folder.length > MAX_FOLDER) return { error: `A folder path can be at most ${MAX_FOLDER} characters.` };
  return { folder };
}

/** Why a file name is not allowed (the server's rule), or undefined. */
export function fileNameError(raw: string): string | undefined {
  const name = raw.trim();
  if (!name) return "Give the file a name.";
  if (name.includes("/")) return "A file name cannot contain “/”. Choose the folder in the Folder field.";
  if (name === "." || name === "..") return "A file name cannot be “.” or “..”.";
  if (CONTROL_CHARS.test(name)) return "A file name cannot contain control characters.";
  if (name.length > MAX_SEGMENT) return `A file name can be at most ${MAX_SEGMENT} characters.`;
  return undefined;
}

/** A folder below the current one, with how many files it holds (in it and below). */
export interface SubFolder {
  path: string;
  name: string;
  files: number;
}

/** The folders directly inside `folder`, by name, each with its count of files (all the way down). */
export function subFolders(folders: readonly string[], folder: string): SubFolder[] {
  const depth = segmentsOf(folder).length;
  const prefix = folder === ROOT ? ROOT : `${folder}/`;
  const counts = new Map<string, number>();
  for (const f of folders) {
    if (!f.startsWith(prefix) || f === folder) continue;
    const child = `/${segmentsOf(f)
      .slice(0, depth + 1)
      .join("/")}`;
    counts.set(child, (counts.get(child) ?? 0) + 1);
  }
  const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });
  return [...counts]
    .map(([path, files]) => ({ path, name: folderName(path), files }))
    .sort((a, b) => collator.compare(a.name, b.name));
}

/** Every folder that exists (those holding files and each of their parents), sorted, `/` first. */
export function allFolders(folders: readonly string[]): string[] {
  const out = new Set<string>([ROOT]);
  for (const f of folders) {
    const segments = segmentsOf(f);
    for (let i = 1; i <= segments.length; i++) out.add(`/${segments.slice(0, i).join("/")}`);
  }
  return [...out].sort((a, b) => (a === ROOT ? -1 : b === ROOT ? 1 : a.localeCompare(b, "en")));
}

/** The path from the top to `folder`, for a breadcrumb: `/a/b` → `/`, `/a`, `/a/b`. */
export function crumbs(folder: string): { path: string; name: string }[] {
  const segments = segmentsOf(folder);
  return [
    { path: ROOT, name: "All files" },
    ...segments.map((name, i) => ({ path: `/${segments.slice(0, i + 1).join("/")}`, name })),
  ];
}
