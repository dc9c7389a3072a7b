import type { PipelineDocument } from "./pipeline-document.js";

/**
 * The parsed form of a pipeline as canonical JSON (keys in document order, two-space indent), e.g. for
 * storage next to the source text or for `latchflow pipelines get -o json`.
 */
export function toJson(pipeline: PipelineDocument): string {
  return `${JSON.stringify(pipeline, null, 2)}\n`;
}
