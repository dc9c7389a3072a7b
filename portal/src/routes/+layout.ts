// A single-page app: rendered in the browser only, every path served the same shell by the gateway (ADR 024).
export const ssr = false;
export const prerender = false;
export const trailingSlash = "ignore";
