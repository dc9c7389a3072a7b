// A single-page app: rendered in the browser only, every path served the same shell by the gateway (ADR 027).
export const ssr = false;
export const prerender = false;
export const trailingSlash = "ignore";
