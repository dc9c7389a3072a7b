/**
 * Light or dark: the system's choice (prefers-color-scheme) until the person picks one with the toggle; the pick
 * is kept in localStorage and set as `data-theme` on <html> (no inline script or style: the CSP forbids them).
 */
export type Theme = "light" | "dark";
const KEY = "latchflow-admin-theme";

function systemTheme(): Theme {
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function stored(): Theme | undefined {
  const value = localStorage.getItem(KEY);
  return value === "light" || value === "dark" ? value : undefined;
}

export const theme = $state<{ current: Theme }>({ current: "light" });

export function initTheme(): void {
  theme.current = stored() ?? systemTheme();
  document.documentElement.dataset.theme = theme.current;
}

export function toggleTheme(): void {
  theme.current = theme.current === "dark" ? "light" : "dark";
  localStorage.setItem(KEY, theme.current);
  document.documentElement.dataset.theme = theme.current;
}
