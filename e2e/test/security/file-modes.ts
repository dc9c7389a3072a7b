import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/**
 * Every folder under `root` (itself included) whose mode is not 0700 and every file whose mode is not 0600,
 * as "path mode" lines (empty when everything is private).
 */
export function notPrivate(root: string): string[] {
  const bad: string[] = [];
  const visit = (path: string) => {
    const st = statSync(path);
    const mode = st.mode & 0o777;
    const want = st.isDirectory() ? 0o700 : 0o600;
    if (mode !== want) bad.push(`${relative(root, path) || "."} ${mode.toString(8)}`);
    if (st.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(root);
  return bad;
}
