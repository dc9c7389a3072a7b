import type { bundlesV1 } from "@latchflow/proto";
import { type RequestContext, statsWindow } from "@latchflow/runtime";
import type { BundlesContext } from "../context.js";
import { Assignment, Bundle, DownloadGrant } from "../entities/index.js";

interface Tally {
  releases: number;
  downloads: number;
}

const utcDay = (d: Date) => d.toISOString().slice(0, 10);

function bump<K>(map: Map<K, Tally>, key: K, what: keyof Tally): void {
  const t = map.get(key) ?? { releases: 0, downloads: 0 };
  t[what]++;
  map.set(key, t);
}

/** Most downloads first, then most releases, then by key (stable across calls). */
function topOf<K extends string>(map: Map<K, Tally>, n: number): [K, Tally][] {
  return [...map]
    .sort(
      ([ka, a], [kb, b]) =>
        b.downloads - a.downloads || b.releases - a.releases || (ka < kb ? -1 : ka > kb ? 1 : 0),
    )
    .slice(0, n);
}

/**
 * Figures for the admin dashboard (ADR 032): a release is an assignment created (a bundle newly given to a
 * recipient, by a person or a pipeline's grant step), a download a download consumed (a grant). Counted per
 * UTC day in the window over the rows still there (an assignment deleted since no longer counts; the audit log
 * keeps the full history).
 */
export function createStatsApi(auth: BundlesContext) {
  return {
    async getReleaseStats(
      req: bundlesV1.GetReleaseStatsRequest,
      ctx: RequestContext,
    ): Promise<bundlesV1.ReleaseStats> {
      const { from, to } = statsWindow(auth.now(), req.days);
      if (req.restricted && req.bundleIds.length === 0)
        return { from, to, days: [], topBundles: [], topRecipients: [] };
      const top = Math.min(20, Math.max(1, req.top || 5));
      const window = { $gte: from, $lte: to };
      const where = {
        tenant: ctx.tenant,
        createdAt: window,
        ...(req.restricted ? { bundleId: { $in: req.bundleIds } } : {}),
      };
      const em = auth.db.em();
      const [assignments, grants] = await Promise.all([
        em.find(Assignment, where, { fields: ["bundleId", "recipientId", "createdAt"] }),
        em.find(DownloadGrant, where, { fields: ["bundleId", "recipientId", "createdAt"] }),
      ]);
      const days = new Map<string, Tally>();
      const bundles = new Map<string, Tally>();
      const recipients = new Map<string, Tally>();
      for (const [rows, what] of [
        [assignments, "releases"],
        [grants, "downloads"],
      ] as const) {
        for (const r of rows) {
          bump(days, utcDay(r.createdAt), what);
          bump(bundles, r.bundleId, what);
          bump(recipients, r.recipientId, what);
        }
      }
      const topBundles = topOf(bundles, top);
      const names = new Map(
        (
          await em.find(Bundle, { id: { $in: topBundles.map(([id]) => id) } }, { fields: ["id", "name"] })
        ).map((b) => [b.id, b.name]),
      );
      return {
        from,
        to,
        days: [...days]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([date, t]) => ({ date, releases: t.releases, downloads: t.downloads })),
        topBundles: topBundles.map(([bundleId, t]) => ({
          bundleId,
          name: names.get(bundleId) ?? "",
          releases: t.releases,
          downloads: t.downloads,
        })),
        topRecipients: topOf(recipients, top).map(([recipientId, t]) => ({
          recipientId,
          releases: t.releases,
          downloads: t.downloads,
        })),
      };
    },
  };
}
