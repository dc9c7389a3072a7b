/**
 * Light or dark: the system's choice (prefers-color-scheme, followed live) until the person picks one with the
 * toggle; the pick is kept in localStorage and set as `data-theme` on <html> (no inline script or style: the CSP
 * forbids them, so the stylesheet follows the system by itself until this runs).
 */
export type Theme = "light" | "dark";
const KEY = "latchflow-admin-theme";

export const theme = $state<{ current: Theme }>({ current: "light" });

function stored(): Theme | undefined {
  const value = localStorage.getItem(KEY);
  return value === "light" || value === "dark" ? value : undefined;
}

export function initTheme(): void {
  const system = matchMedia("(prefers-color-scheme: dark)");
  const apply = () => {
    const chosen = stored();
    theme.current = chosen ?? (system.matches ? "dark" : "light");
    if (chosen) document.documentElement.dataset.theme = chosen;
    else delete document.documentElement.dataset.theme;
  };
  apply();
  system.addEventListener("change", apply);
}

export function toggleTheme(): void {
  localStorage.setItem(KEY, theme.current === "dark" ? "light" : "dark");
  theme.current = theme.current === "dark" ? "light" : "dark";
  document.documentElement.dataset.theme = theme.current;
}
