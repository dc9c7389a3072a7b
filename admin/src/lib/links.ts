import { resolve } from "$app/paths";

/**
 * The path of a page of this app by its path under the app's base, for pages other parts of issue 14 build
 * (pipelines, runs, help) that are not routes of every branch yet; `resolve` with a route id checks the others.
 */
export const appPath = (path: string): string => `${resolve("/(app)").replace(/\/$/, "")}/${path}`;

export const pipelinePath = (name: string) => appPath(`pipelines/${encodeURIComponent(name)}`);

export const runPath = (pipeline: string, runId: string) =>
  appPath(`pipelines/${encodeURIComponent(pipeline)}/runs/${encodeURIComponent(runId)}`);

/** A topic of the help page (the lead writes it): files, bundles, …, audit, dashboard. */
export const helpPath = (topic: string) => appPath(`help#${topic}`);
