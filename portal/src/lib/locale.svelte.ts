import { getLocale, type Locale, locales, setLocale } from "#lib/paraglide/runtime.js";

/** Right-to-left locales get `dir="rtl"` on the document (the layout mirrors through logical CSS properties). */
const RTL = new Set<string>(["ar"]);

/** Each locale's name in itself, for the switcher. */
export const LOCALE_NAMES: Record<Locale, string> = { en: "English", de: "Deutsch", ar: "العربية" };

/** The current locale as reactive state; the layout re-renders the page when it changes. */
export const locale = $state({ current: getLocale() });

function applyToDocument(l: Locale): void {
  document.documentElement.lang = l;
  document.documentElement.dir = RTL.has(l) ? "rtl" : "ltr";
}

/** Switches the language without reloading (the choice is remembered in this browser). */
export function changeLocale(l: Locale): void {
  setLocale(l, { reload: false });
  locale.current = l;
  applyToDocument(l);
}

export function initLocale(): void {
  applyToDocument(getLocale());
}

export { locales };
