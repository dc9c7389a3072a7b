/**
 * Files a person picked or dropped, each with the folder it came from relative to what was picked (`""` for a
 * file picked by itself, `photos/2024` for a file inside a dropped `photos` folder): the upload keeps that
 * structure under the current folder.
 */
export interface PickedFile {
  file: File;
  /** the folders between what was picked and the file, `/`-separated, no leading or trailing `/` */
  dir: string;
}

/** The parts of the File and Directory Entries API (`DataTransferItem.webkitGetAsEntry`) a drop needs. */
export type DroppedEntry =
  | {
      isFile: true;
      isDirectory: false;
      name: string;
      file(ok: (f: File) => void, fail?: (e: unknown) => void): void;
    }
  | {
      isFile: false;
      isDirectory: true;
      name: string;
      createReader(): {
        readEntries(ok: (entries: DroppedEntry[]) => void, fail?: (e: unknown) => void): void;
      };
    };

const fileOf = (entry: Extract<DroppedEntry, { isFile: true }>) =>
  new Promise<File>((resolve, reject) => entry.file(resolve, reject));

/** A folder's entries: `readEntries` answers in batches (100 at a time in Chromium) until it answers none. */
async function entriesOf(entry: Extract<DroppedEntry, { isDirectory: true }>): Promise<DroppedEntry[]> {
  const reader = entry.createReader();
  const out: DroppedEntry[] = [];
  for (;;) {
    const batch = await new Promise<DroppedEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

async function walk(entry: DroppedEntry, dir: string, out: PickedFile[]): Promise<void> {
  if (entry.isFile) {
    out.push({ file: await fileOf(entry), dir });
    return;
  }
  const inner = dir ? `${dir}/${entry.name}` : entry.name;
  for (const child of await entriesOf(entry)) await walk(child, inner, out);
}

/**
 * What was dropped, folders walked all the way down. Call {@link entriesOfDrop} during the drop event (the
 * browser empties the data transfer after it), then this.
 */
export async function filesOfEntries(entries: readonly (DroppedEntry | File)[]): Promise<PickedFile[]> {
  const out: PickedFile[] = [];
  for (const entry of entries) {
    if (entry instanceof File) out.push({ file: entry, dir: "" });
    else await walk(entry, "", out);
  }
  return out;
}

/**
 * The dropped items as entries (a folder stays a folder), taken while the drop event runs; a browser without
 * entries gives its plain files.
 */
export function entriesOfDrop(data: DataTransfer): (DroppedEntry | File)[] {
  const out: (DroppedEntry | File)[] = [];
  for (const item of Array.from(data.items ?? [])) {
    if (item.kind !== "file") continue;
    const entry = item.webkitGetAsEntry?.() as DroppedEntry | null | undefined;
    const file = entry ? undefined : item.getAsFile();
    if (entry) out.push(entry);
    else if (file) out.push(file);
  }
  if (out.length === 0) out.push(...Array.from(data.files ?? []));
  return out;
}

/** Files from a file input: with `webkitdirectory`, each keeps the folders of its `webkitRelativePath`. */
export function filesOfInput(files: Iterable<File>): PickedFile[] {
  return Array.from(files, (file) => {
    const parts = (file.webkitRelativePath || "").split("/").filter(Boolean);
    return { file, dir: parts.slice(0, -1).join("/") };
  });
}
