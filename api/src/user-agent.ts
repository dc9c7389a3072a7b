/**
 * A browser's user agent in the words people use: which browser, on which system. Nothing more is read from it.
 * Plain code (no zod): the portal and the admin both import it through `@latchflow/api/user-agent`.
 */
export interface DeviceKind {
  /** "Chrome", "Firefox", "Safari", "Edge", "Samsung Internet", "Opera"; "" when unknown */
  browser: string;
  /** "Android", "iPhone", "iPad", "Windows", "macOS", "ChromeOS", "Linux"; "" when unknown */
  os: string;
}

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, "Edge"],
  [/\bSamsungBrowser\//, "Samsung Internet"],
  [/\b(?:OPR|Opera)\//, "Opera"],
  [/\b(?:Firefox|FxiOS)\//, "Firefox"],
  [/\b(?:HeadlessChrome|Chrome|Chromium|CriOS)\//, "Chrome"],
  [/\bVersion\/[\d.]+.*\bSafari\//, "Safari"],
];

const SYSTEMS: [RegExp, string][] = [
  [/\bAndroid\b/, "Android"],
  [/\biPhone\b/, "iPhone"],
  [/\biPad\b/, "iPad"],
  [/\bCrOS\b/, "ChromeOS"],
  [/\bWindows\b/, "Windows"],
  [/\bMac OS X\b|\bMacintosh\b/, "macOS"],
  [/\bLinux\b/, "Linux"],
];

export function deviceKind(userAgent: string): DeviceKind {
  const browser = BROWSERS.find(([re]) => re.test(userAgent))?.[1] ?? "";
  const os = SYSTEMS.find(([re]) => re.test(userAgent))?.[1] ?? "";
  return { browser, os };
}
