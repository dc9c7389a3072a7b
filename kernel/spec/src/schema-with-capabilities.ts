import type { CapabilityCatalog, JsonSchema } from "./capability.js";
import { pipelineSchema } from "./schema.js";

const CAPABILITY_ID_BASE = "https://latchflow.dev/api/v1/schemas/capabilities/";

/**
 * {@link pipelineSchema} with each capability's config schema attached to the `with:` of the triggers
 * (trigger capabilities) and steps (action capabilities) whose `uses` names it, through if/then branches.
 * Each config schema is embedded under `$defs` as its own resource (own `$id`), so its internal `$ref`s keep
 * working. `uses` gets the catalog keys as `examples` for completion, and is marked `deprecated` where it names a major
 * the catalog says is replaced. Pure: the inputs are not modified.
 */
export function schemaWithCapabilities(capabilities: CapabilityCatalog): JsonSchema {
  const schema = structuredClone(pipelineSchema) as JsonSchema & { $defs: Record<string, JsonSchema> };
  const defs = schema.$defs;
  const branches: Record<"trigger" | "action", JsonSchema[]> = { trigger: [], action: [] };
  for (const uses of Object.keys(capabilities).sort()) {
    const cap = capabilities[uses]!;
    const defName = `capability:${uses}`;
    const { $schema: _ignored, ...config } = structuredClone(cap.configSchema);
    const id =
      typeof config.$id === "string" ? config.$id : `${CAPABILITY_ID_BASE}${encodeURIComponent(uses)}.json`;
    defs[defName] = {
      ...config,
      $id: id,
      ...(cap.docs && config.description === undefined ? { description: cap.docs } : {}),
    };
    branches[cap.kind].push({
      if: { properties: { uses: { const: uses } }, required: ["uses"] },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable.
      then: {
        properties: {
          with: { $ref: id },
          // a deprecated major (served through a newer one's migrate): editors strike it through
          ...(cap.replacedBy
            ? { uses: { deprecated: true, description: `Deprecated: replaced by ${cap.replacedBy}.` } }
            : {}),
        },
      },
    });
  }
  const triggerDef = defs.trigger!;
  const stepDef = defs.step!;
  if (branches.trigger.length) triggerDef.allOf = branches.trigger;
  if (branches.action.length) stepDef.allOf = branches.action;
  defs.uses = { ...defs.uses, examples: Object.keys(capabilities).sort() };
  return schema;
}
