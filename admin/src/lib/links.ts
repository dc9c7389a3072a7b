import { resolve } from "$app/paths";

/**
 * The path of a page of this app by its path under the app's base, for a page another part of issue 14 builds
 * that is not a route yet (a pipeline's own page); `resolve` with a route id checks the others.
 */
export const appPath = (path: string): string => `${resolve("/(app)").replace(/\/$/, "")}/${path}`;

export const pipelinePath = (name: string) => appPath(`pipelines/${encodeURIComponent(name)}`);

/** A topic of the help page: files, bundles, …, audit, dashboard. */
export const helpPath = (topic: string) => `${resolve("/(app)/help")}#${topic}`;
