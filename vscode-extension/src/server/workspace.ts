// "Validate workspace": the client lists the workspace's YAML files (it knows the folders and the excludes) and
// sends their uris in the request below; the server reads each from disk and validates the pipeline documents.
import { readFile, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** The custom request: params `{ uris: string[] }`, result {@link WorkspaceReport}. */
export const VALIDATE_WORKSPACE = "latchflow/validateWorkspace";

/** What "Validate workspace" found: each pipeline document with its count of errors and warnings. */
export interface WorkspaceReport {
  files: { uri: string; errors: number; warnings: number }[];
}

/** Larger files are not read (no pipeline is that long; a generated YAML file may be). */
const MAX_BYTES = 4 * 1024 * 1024;

/** A `file:` uri's text, or undefined when it cannot be read (gone, a folder, too large, another scheme). */
export async function readWorkspaceFile(uri: string): Promise<string | undefined> {
  if (!uri.startsWith("file:")) return undefined;
  try {
    const path = fileURLToPath(uri);
    const info = await stat(path);
    if (!info.isFile() || info.size > MAX_BYTES) return undefined;
    return await readFile(path, "utf8");
  } catch {
    return undefined;
  }
}
