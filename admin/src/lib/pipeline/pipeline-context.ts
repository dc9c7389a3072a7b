// The pipeline pages' layout (/pipelines/[name]) keeps one draft for all its tabs: an unsaved edit survives a look
// at the versions (and can be compared with them), and is what the Edit tab shows when you come back.
import type { schemas } from "@latchflow/api";
import { getContext, setContext } from "svelte";
import type { PipelineDraft } from "./draft.svelte.js";

export interface PipelineContext {
  /** the draft of the pipeline (absent for someone who may run it but not change it) */
  draft: () => PipelineDraft | undefined;
  pipeline: () => schemas.PipelineWithDocument | undefined;
}

const KEY = Symbol("pipeline");
export const setPipelineContext = (ctx: PipelineContext) => setContext(KEY, ctx);
/** The surrounding pipeline's context, or undefined outside /pipelines/[name]. */
export const pipelineContext = () => getContext<PipelineContext | undefined>(KEY);

/** The text a new pipeline starts from: a manual trigger and no steps yet. */
export const NEW_PIPELINE = `# A pipeline: its trigger starts a run, then its steps run in order.
apiVersion: latchflow.dev/v1
kind: Pipeline
metadata:
  name:
spec:
  triggers:
    - id: start
      uses: manual@1
  steps: []
`;
