/**
 * The admin app's keyboard shortcuts, as a pure function of the keys pressed (the layout listens and acts).
 *
 *   /        focus the page's search or filter field  (the element marked `data-shortcut="search"`)
 *   n        the page's main "create" action           (the element marked `data-shortcut="new"`)
 *   g then … go to a page: d dashboard, f files, b bundles, r recipients, p pipelines, u runs, a audit,
 *            m users (members), t tokens, l plugins, s sessions — only pages the user may open
 *   ?        the list of shortcuts
 *
 * Keys typed into a field, with Ctrl, Alt or Meta held, or while a dialog is open are never shortcuts.
 */

/** Where `g` then a letter goes: the app's page paths (without the /admin base). */
export const GO_KEYS: Readonly<Record<string, { path: string; label: string }>> = {
  d: { path: "/", label: "Dashboard" },
  f: { path: "/files", label: "Files" },
  b: { path: "/bundles", label: "Bundles" },
  r: { path: "/recipients", label: "Recipients" },
  p: { path: "/pipelines", label: "Pipelines" },
  u: { path: "/runs", label: "Runs" },
  a: { path: "/audit", label: "Audit" },
  m: { path: "/users", label: "Users" },
  t: { path: "/tokens", label: "Tokens" },
  l: { path: "/plugins", label: "Plugins" },
  s: { path: "/sessions", label: "Sessions" },
};

/** How long after `g` the second key still counts. */
export const SEQUENCE_MS = 1500;

export type ShortcutAction =
  | { kind: "focus-search" }
  | { kind: "new" }
  | { kind: "help" }
  | { kind: "go"; path: string }
  | { kind: "pending" };

/** What the handler needs to know about a key press. */
export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey: boolean;
  /** The key went to a text field, a select or an editable element. */
  inField: boolean;
  /** A modal dialog is open. */
  inDialog: boolean;
  /** Milliseconds, any clock. */
  at: number;
}

/** The time of the last unanswered `g`, if any. */
export interface ShortcutState {
  pendingSince: number | null;
}

/**
 * The action for a key press and the state after it. `allowed` says which paths this user may open (the role-aware
 * navigation); a `g` sequence to any other page does nothing.
 */
export function shortcutFor(
  press: KeyPress,
  state: ShortcutState,
  allowed: (path: string) => boolean,
): { action: ShortcutAction | null; state: ShortcutState } {
  const idle = { pendingSince: null };
  if (press.ctrlKey || press.altKey || press.metaKey || press.inField || press.inDialog) {
    return { action: null, state: idle };
  }
  if (state.pendingSince !== null && press.at - state.pendingSince <= SEQUENCE_MS) {
    const target = GO_KEYS[press.key.toLowerCase()];
    return { action: target && allowed(target.path) ? { kind: "go", path: target.path } : null, state: idle };
  }
  switch (press.key) {
    case "/":
      return { action: { kind: "focus-search" }, state: idle };
    case "n":
      return { action: { kind: "new" }, state: idle };
    case "?":
      return { action: { kind: "help" }, state: idle };
    case "g":
      return { action: { kind: "pending" }, state: { pendingSince: press.at } };
    default:
      return { action: null, state: idle };
  }
}

/** True when a key press landed in something that takes typing. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !["button", "checkbox", "radio", "submit", "reset", "file", "range", "color"].includes(
      target.type,
    );
  }
  return false;
}
