/** The only supported `apiVersion` of a pipeline document. */
export const PIPELINE_API_VERSION = "latchflow.dev/v1";

/** The `kind` of a pipeline document. */
export const PIPELINE_KIND = "Pipeline";

/** Backoff strategy between retry attempts. */
export type Backoff = "exponential" | "fixed";

/** What the run does when a step fails after its last attempt. */
export type OnFailure = "stop" | "continue";

/** Retry policy of a step; intervals are duration strings (see {@link parseDuration}). */
export interface RetryPolicy {
  maxAttempts: number;
  backoff: Backoff;
  initialInterval: string;
  maxInterval: string;
  /** Error codes that fail the step at once, without further attempts. */
  nonRetryable?: string[];
}

/** A trigger: fires the pipeline. `uses` is `<capability>@<major>` or `<plugin>/<capability>@<major>`. */
export interface PipelineTrigger {
  id: string;
  uses: string;
  with?: Record<string, unknown>;
}

/** A step: one action run in order when the pipeline fires. */
export interface PipelineStep {
  id: string;
  uses: string;
  with?: Record<string, unknown>;
  /** CEL condition over `trigger` and `steps`; the step is skipped when false. */
  if?: string;
  retry?: RetryPolicy;
  /** Duration string, e.g. `1m`. */
  timeout?: string;
  onFailure?: OnFailure;
}

/** `metadata` of a pipeline. `name` is a lowercase DNS label (≤ 63 characters). */
export interface PipelineMetadata {
  name: string;
  description?: string;
}

/** `spec` of a pipeline. */
export interface PipelineSpec {
  enabled?: boolean;
  triggers: PipelineTrigger[];
  steps: PipelineStep[];
}

/** A pipeline document (ARCHITECTURE §3.4) as parsed from YAML or JSON. */
export interface PipelineDocument {
  apiVersion: typeof PIPELINE_API_VERSION;
  kind: typeof PIPELINE_KIND;
  metadata: PipelineMetadata;
  spec: PipelineSpec;
}
