import { resolve } from "$app/paths";

/**
 * Where to go after signing in: a portal page named in `?next=` (kept only when it is a path inside the portal,
 * never another site), else the file list.
 */
export function safeNext(next: string | null): string {
  const home = resolve("/");
  if (!next) return home;
  const base = home.replace(/\/$/, "");
  if (!next.startsWith(`${base}/`) || next.startsWith("//") || next.includes("\\")) return home;
  return next;
}
