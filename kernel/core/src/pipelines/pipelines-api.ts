import type { pipelinesV1 } from "@latchflow/proto";
import { newId, notFound, type RequestContext, validationFailed } from "@latchflow/runtime";
import { type Database, emitEvent, type OutboxRelay } from "@latchflow/runtime/db";
import {
  type CapabilityCatalog,
  DiagnosticCode,
  LABEL_PATTERN,
  type PipelineDocument,
  schemaWithCapabilities,
} from "@latchflow/spec";
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import { TimerRow } from "../runs/entities.js";
import { rearmTimers } from "../triggers/trigger-runner.js";
import { PipelineRow, PipelineVersionRow } from "./entities.js";
import {
  type AuthClient,
  type BundlesClient,
  capabilityUnavailable,
  diagnosticToProto,
  serviceResolver,
  unavailableCapabilities,
  validate,
} from "./validation.js";

/** The diagnostics that mean "not available here" rather than "wrong" (the rest answer 422). */
const UNAVAILABLE_CODES = new Set<string>([
  DiagnosticCode.UnknownCapability,
  DiagnosticCode.CapabilityDisabled,
]);

const MAX_SOURCE = 256 * 1024;

function toProto(p: PipelineRow): pipelinesV1.Pipeline {
  return {
    name: p.name,
    description: p.description,
    enabled: p.enabled,
    version: p.version,
    source: p.source,
    parsedJson: p.parsed,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

export interface PipelinesContext {
  db: Database;
  relay: OutboxRelay;
  catalog: (tenant: string) => Promise<CapabilityCatalog>;
  /** installed but disabled capabilities (a pipeline using one answers `capability_unavailable`) */
  disabledCatalog?: (tenant: string) => Promise<CapabilityCatalog>;
  clients: { bundles: BundlesClient; auth: AuthClient };
  now: () => Date;
  /** after a commit that changed a pipeline's timers (so arm jobs run without waiting for the poll) */
  timersChanged: () => void;
}

/** The pipelines gRPC API: validated, versioned storage of pipeline documents. */
export function createPipelinesApi(k: PipelinesContext) {
  const find = async (ctx: RequestContext, name: string) => {
    const row = await k.db.em().findOne(PipelineRow, { tenant: ctx.tenant, name });
    if (!row) throw notFound("Pipeline not found", { pipeline: name });
    return row;
  };

  const disabledOf = async (tenant: string) => (k.disabledCatalog ? await k.disabledCatalog(tenant) : {});
  const check = async (source: string, ctx: RequestContext) => {
    if (source.length > MAX_SOURCE) throw validationFailed(`A pipeline is at most ${MAX_SOURCE} bytes`);
    const catalog = await k.catalog(ctx.tenant);
    const disabled = await disabledOf(ctx.tenant);
    const result = await validate(source, catalog, serviceResolver(k.clients, ctx), disabled);
    return { ...result, catalog, disabled };
  };

  return {
    async validatePipeline(
      req: pipelinesV1.ValidatePipelineRequest,
      ctx: RequestContext,
    ): Promise<pipelinesV1.ValidatePipelineResponse> {
      const result = await check(req.source, ctx);
      return { ok: result.ok, diagnostics: result.diagnostics.map(diagnosticToProto) };
    },

    async putPipeline(
      req: pipelinesV1.PutPipelineRequest,
      ctx: RequestContext,
    ): Promise<pipelinesV1.Pipeline> {
      if (!new RegExp(LABEL_PATTERN).test(req.name))
        throw validationFailed("name must be a lowercase DNS label", { field: "name" });
      const result = await check(req.source, ctx);
      // valid but for capabilities that are not installed or disabled: 409 capability_unavailable
      const errors = result.diagnostics.filter((d) => d.severity === "error");
      if (result.pipeline && errors.length > 0 && errors.every((d) => UNAVAILABLE_CODES.has(d.code))) {
        throw capabilityUnavailable(
          unavailableCapabilities(result.pipeline, result.catalog, result.disabled),
          errors.map(diagnosticToProto),
        );
      }
      if (!result.ok || !result.pipeline) {
        throw validationFailed("The pipeline is invalid", {
          diagnostics: result.diagnostics.map(diagnosticToProto),
        });
      }
      const doc = result.pipeline;
      if (doc.metadata.name !== req.name) {
        throw validationFailed(`metadata.name is "${doc.metadata.name}" but the URL names "${req.name}"`, {
          field: "metadata.name",
        });
      }
      const now = k.now();
      try {
        const { p: row, saved } = await k.db.em().transactional(async (em) => {
          let p = await em.findOne(PipelineRow, { tenant: ctx.tenant, name: req.name });
          // the same text again is no change: no new version, no event, timers left as they are
          if (p && p.source === req.source) return { p, saved: false };
          const version = (p?.version ?? 0) + 1;
          if (!p) {
            p = em.create(PipelineRow, {
              id: newId(now),
              tenant: ctx.tenant,
              name: req.name,
              description: doc.metadata.description ?? "",
              enabled: doc.spec.enabled ?? true,
              version,
              source: req.source,
              parsed: JSON.stringify(doc),
              createdAt: now,
              updatedAt: now,
            });
          } else {
            Object.assign(p, {
              description: doc.metadata.description ?? "",
              enabled: doc.spec.enabled ?? p.enabled,
              version,
              source: req.source,
              parsed: JSON.stringify(doc),
              updatedAt: now,
            });
          }
          em.create(PipelineVersionRow, {
            id: newId(now),
            pipelineId: p.id,
            version,
            source: req.source,
            createdBy: ctx.caller?.userId ?? ctx.caller?.id ?? "",
            createdAt: now,
          });
          await emitEvent(
            em,
            ctx,
            "pipelines.pipeline.saved",
            { pipelineId: p.id },
            { pipelineId: p.id, name: p.name, version },
          );
          await em.flush();
          await rearmTimers(em, p, now);
          return { p, saved: true };
        });
        if (saved) {
          k.relay.nudge();
          k.timersChanged();
        }
        return toProto(row);
      } catch (err) {
        if (err instanceof UniqueConstraintViolationException)
          throw validationFailed("The pipeline changed meanwhile; try again");
        throw err;
      }
    },

    async getPipeline(
      req: pipelinesV1.GetPipelineRequest,
      ctx: RequestContext,
    ): Promise<pipelinesV1.Pipeline> {
      return toProto(await find(ctx, req.name));
    },

    async listPipelines(
      _req: pipelinesV1.ListPipelinesRequest,
      ctx: RequestContext,
    ): Promise<pipelinesV1.ListPipelinesResponse> {
      const rows = await k.db.em().find(PipelineRow, { tenant: ctx.tenant }, { orderBy: { name: "asc" } });
      return { pipelines: rows.map(toProto) };
    },

    async deletePipeline(
      req: pipelinesV1.DeletePipelineRequest,
      ctx: RequestContext,
    ): Promise<pipelinesV1.Pipeline> {
      const row = await find(ctx, req.name);
      await k.db.em().transactional(async (em) => {
        await em.nativeDelete(TimerRow, { pipelineId: row.id });
        await em.nativeDelete(PipelineVersionRow, { pipelineId: row.id });
        await em.nativeDelete(PipelineRow, { id: row.id });
        await emitEvent(
          em,
          ctx,
          "pipelines.pipeline.deleted",
          { pipelineId: row.id },
          { pipelineId: row.id, name: row.name },
        );
      });
      k.relay.nudge();
      return toProto(row);
    },

    async setPipelineEnabled(
      req: pipelinesV1.SetPipelineEnabledRequest,
      ctx: RequestContext,
    ): Promise<pipelinesV1.Pipeline> {
      const row = await find(ctx, req.name);
      if (req.enabled && !row.enabled) {
        // enabling a pipeline whose capabilities were disabled (or uninstalled) meanwhile would fail its runs
        const unavailable = unavailableCapabilities(
          JSON.parse(row.parsed) as PipelineDocument,
          await k.catalog(ctx.tenant),
          await disabledOf(ctx.tenant),
        );
        if (unavailable.length > 0) throw capabilityUnavailable(unavailable);
      }
      if (row.enabled !== req.enabled) {
        await k.db.em().transactional(async (em) => {
          await em.nativeUpdate(PipelineRow, { id: row.id }, { enabled: req.enabled, updatedAt: k.now() });
          await rearmTimers(em, { ...row, enabled: req.enabled }, k.now());
          await emitEvent(
            em,
            ctx,
            req.enabled ? "pipelines.pipeline.enabled" : "pipelines.pipeline.disabled",
            { pipelineId: row.id },
            {
              pipelineId: row.id,
              name: row.name,
            },
          );
        });
        k.relay.nudge();
        k.timersChanged();
      }
      return toProto(await find(ctx, req.name));
    },

    async listPipelineVersions(
      req: pipelinesV1.ListPipelineVersionsRequest,
      ctx: RequestContext,
    ): Promise<pipelinesV1.ListPipelineVersionsResponse> {
      const row = await find(ctx, req.name);
      const versions = await k.db
        .em()
        .find(PipelineVersionRow, { pipelineId: row.id }, { orderBy: { version: "desc" } });
      return {
        versions: versions.map((v) => ({
          version: v.version,
          source: v.source,
          createdAt: v.createdAt,
          createdBy: v.createdBy,
        })),
      };
    },

    async getPipelineSchema(
      _req: pipelinesV1.GetPipelineSchemaRequest,
      ctx: RequestContext,
    ): Promise<pipelinesV1.GetPipelineSchemaResponse> {
      return { schemaJson: JSON.stringify(schemaWithCapabilities(await k.catalog(ctx.tenant))) };
    },
  };
}
