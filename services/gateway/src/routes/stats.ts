import { operations, Scope, type schemas } from "@latchflow/api";
import type { authV1, bundlesV1, pipelinesV1 } from "@latchflow/proto";
import {
  type Decision,
  decide,
  ErrorCode,
  isLatchflowError,
  permissionDenied,
  type RequestContext,
  subjectOf,
  unauthenticated,
} from "@latchflow/runtime";
import type { GatewayClients } from "../clients.js";
import { implement } from "../route.js";

const DAY_MS = 86_400_000;
type Scoped = { scope: "all" | "granted" | "none"; ids: string[] };

function scoped(d: Decision): Scoped {
  if (!d.allowed) return { scope: "none", ids: [] };
  return d.restrictTo ? { scope: "granted", ids: d.restrictTo } : { scope: "all", ids: [] };
}

/** Every UTC day from `from` to `to`, with the counts the service found (zeros elsewhere). */
function everyDay(from: Date, to: Date, found: bundlesV1.DayCount[]): schemas.StatsOverview["daily"] {
  const byDate = new Map(found.map((d) => [d.date, d]));
  const out: schemas.StatsOverview["daily"] = [];
  for (let t = from.getTime(); t <= to.getTime(); t += DAY_MS) {
    const date = new Date(t).toISOString().slice(0, 10);
    const d = byDate.get(date);
    out.push({ date, releases: d?.releases ?? 0, downloads: d?.downloads ?? 0 });
  }
  return out;
}

/** A recipient's address, when the caller may read that recipient and it still exists. */
async function emailOf(
  clients: GatewayClients,
  identity: authV1.Identity,
  id: string,
  ctx: RequestContext,
): Promise<string | null> {
  const subject = subjectOf(identity);
  if (!decide(subject, { action: Scope.RecipientsRead, resource: { type: "recipient", id } }).allowed)
    return null;
  try {
    return (await clients.auth.getRecipient({ id }, ctx)).email;
  } catch (err) {
    if (isLatchflowError(err) && err.code === ErrorCode.NotFound) return null;
    throw err;
  }
}

const noReleases: bundlesV1.ReleaseStats = { days: [], topBundles: [], topRecipients: [] };
const noPipelines: pipelinesV1.PipelineStats = { deadlines: [], failedRuns: [], failedTotal: 0 };

/** The dashboard's figures: each part from the service that owns it, scoped by the caller's permissions. */
export function statsRoutes(clients: GatewayClients) {
  return [
    implement(operations.getStatsOverview, async ({ query, ctx, identity }) => {
      if (!identity) throw unauthenticated();
      const subject = subjectOf(identity);
      const bundles = scoped(decide(subject, { action: Scope.BundlesRead }));
      const pipelines = scoped(decide(subject, { action: Scope.PipelinesWrite }));
      if (bundles.scope === "none" && pipelines.scope === "none") {
        throw permissionDenied("Not allowed: the dashboard needs bundles:read or pipelines:write", {
          action: Scope.BundlesRead,
        });
      }
      const [releases, runs] = await Promise.all([
        bundles.scope === "none"
          ? noReleases
          : clients.bundles.getReleaseStats(
              {
                days: query.days,
                bundleIds: bundles.ids,
                restricted: bundles.scope === "granted",
                top: query.top,
              },
              ctx,
            ),
        pipelines.scope === "none"
          ? noPipelines
          : clients.pipelines.getPipelineStats(
              {
                names: pipelines.ids,
                restricted: pipelines.scope === "granted",
                days: query.days,
                failedLimit: query.top,
              },
              ctx,
            ),
      ]);
      // the window as the services' clock saw it (either part's: both answer the same days)
      const window = bundles.scope === "none" ? runs : releases;
      const from = window.from ?? new Date();
      const to = window.to ?? new Date();
      const daily = everyDay(from, to, releases.days);
      const body: schemas.StatsOverview = {
        from: from.toISOString(),
        to: to.toISOString(),
        scope: { bundles: bundles.scope, pipelines: pipelines.scope },
        daily,
        totals: {
          releases: daily.reduce((n, d) => n + d.releases, 0),
          downloads: daily.reduce((n, d) => n + d.downloads, 0),
        },
        topBundles: releases.topBundles.map((b) => ({
          id: b.bundleId,
          name: b.name,
          releases: b.releases,
          downloads: b.downloads,
        })),
        topRecipients: await Promise.all(
          releases.topRecipients.map(async (r) => ({
            id: r.recipientId,
            email: await emailOf(clients, identity, r.recipientId, ctx),
            releases: r.releases,
            downloads: r.downloads,
          })),
        ),
        deadlines: runs.deadlines.map((d) => ({
          pipeline: d.pipeline,
          trigger: d.trigger,
          uses: d.uses,
          dueAt: (d.dueAt ?? new Date(0)).toISOString(),
        })),
        failedRuns: runs.failedRuns.map((r) => ({
          id: r.id,
          pipeline: r.pipeline,
          trigger: r.trigger,
          errorCode: r.errorCode,
          errorMessage: r.errorMessage,
          failedAt: (r.finishedAt ?? new Date(0)).toISOString(),
        })),
        failedTotal: runs.failedTotal,
      };
      return { status: 200, body };
    }),
  ];
}
