import { z } from "zod";
import { errorResponses } from "../common.js";
import { defineOperation } from "../operation.js";

// Figures for the admin dashboard, each part computed by the service that owns its data and scoped to what the
// caller may see (ADR 032).

const tag = "stats";

/** How much of a part the caller sees: everything, only the resources granted one by one, or nothing. */
const StatsScope = z.enum(["all", "granted", "none"]);

const Count = z.number().int().min(0);

export const StatsOverview = z
  .object({
    from: z.iso.datetime().meta({ description: "Start of the first day counted (00:00 UTC)" }),
    to: z.iso.datetime().meta({ description: "When the figures were taken" }),
    scope: z
      .object({
        bundles: StatsScope.meta({
          description: "Releases and downloads: bundles:read on every bundle, on some, or none",
        }),
        pipelines: StatsScope.meta({
          description: "Deadlines and failed runs: pipelines:write on every pipeline, on some, or none",
        }),
      })
      .meta({ description: "What the figures cover, from the caller's permissions" }),
    daily: z
      .array(z.object({ date: z.iso.date(), releases: Count, downloads: Count }))
      .meta({ description: "One entry per UTC day from `from` to today, oldest first (zeros included)" }),
    totals: z.object({ releases: Count, downloads: Count }),
    topBundles: z
      .array(z.object({ id: z.string(), name: z.string(), releases: Count, downloads: Count }))
      .meta({
        description: "The bundles with the most downloads (then releases) in the period, at most `top`",
      }),
    topRecipients: z
      .array(
        z.object({
          id: z.string(),
          email: z.string().nullable().meta({
            description: "Null when the caller may not read this recipient, or it was deleted since",
          }),
          releases: Count,
          downloads: Count,
        }),
      )
      .meta({ description: "The recipients with the most downloads (then releases), at most `top`" }),
    deadlines: z
      .array(
        z.object({
          pipeline: z.string(),
          trigger: z.string(),
          uses: z.string().meta({ description: "The trigger's capability, e.g. `deadman@1`" }),
          dueAt: z.iso.datetime(),
        }),
      )
      .meta({
        description:
          "Pending deadlines of triggers (a dead-man switch fires at its deadline unless someone checks in), soonest first, at most 20",
      }),
    failedRuns: z
      .array(
        z.object({
          id: z.string(),
          pipeline: z.string(),
          trigger: z.string(),
          errorCode: z.string(),
          errorMessage: z.string(),
          failedAt: z.iso.datetime(),
        }),
      )
      .meta({ description: "Runs that failed in the period, newest first, at most `top`" }),
    failedTotal: Count.meta({ description: "How many runs failed in the period in all" }),
  })
  .meta({ id: "StatsOverview" });
export type StatsOverview = z.output<typeof StatsOverview>;

export const getStatsOverview = defineOperation({
  method: "get",
  path: "/api/v1/stats/overview",
  operationId: "getStatsOverview",
  summary:
    "Dashboard figures: releases and downloads per day and per bundle and recipient, deadlines, failed runs",
  description:
    "Releases are bundles newly assigned to a recipient (by a person or a pipeline's grant step); downloads are downloads recipients consumed. Each part covers only what the caller may see: releases and downloads the bundles they may read (bundles:read), deadlines and failed runs the pipelines they may change (pipelines:write). A caller who may see neither is refused (403).",
  tag,
  access: { kind: "any-user" },
  query: z.strictObject({
    days: z.coerce
      .number()
      .int()
      .min(1)
      .max(90)
      .default(30)
      .meta({ description: "How many UTC days back, today included (1-90, default 30)" }),
    top: z.coerce
      .number()
      .int()
      .min(1)
      .max(20)
      .default(5)
      .meta({ description: "Length of the top lists and the failed runs (1-20, default 5)" }),
  }),
  responses: {
    200: { description: "The figures", schema: StatsOverview },
    ...errorResponses,
  },
});
