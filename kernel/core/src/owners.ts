import { ErrorCode, isLatchflowError, type RequestContext } from "@latchflow/runtime";
import type { Database } from "@latchflow/runtime/db";
import type { PipelineRow } from "./pipelines/entities.js";
import { PipelineVersionRow } from "./pipelines/entities.js";
import type { AuthClient } from "./pipelines/validation.js";

const TTL_MS = 60_000;

/**
 * A pipeline's owner is the user who saved its current version: runs act with that user's permissions
 * (checked again at each action) and dead-man reminders default to that user's email.
 */
export function createOwners(deps: { db: Database; clients: { auth: AuthClient } }) {
  const emails = new Map<string, { email: string; at: number }>();
  // who saved a version never changes (a version is written once), so it is read once per version
  const savers = new Map<string, string>();
  const saverOf = async (pipeline: PipelineRow): Promise<string> => {
    const key = `${pipeline.id}:${pipeline.version}`;
    const known = savers.get(key);
    if (known !== undefined) return known;
    const version = await deps.db
      .em()
      .findOne(PipelineVersionRow, { pipelineId: pipeline.id, version: pipeline.version });
    const id = version?.createdBy ?? "";
    if (!version) return id; // not cached: the version row may be committing right now
    if (savers.size >= 1_000) savers.clear();
    savers.set(key, id);
    return id;
  };
  return {
    async of(pipeline: PipelineRow, ctx: RequestContext): Promise<{ id: string; email: string }> {
      const id = await saverOf(pipeline);
      if (!id) return { id: "", email: "" };
      const cached = emails.get(id);
      if (cached && Date.now() - cached.at < TTL_MS) return { id, email: cached.email };
      try {
        const user = await deps.clients.auth.getUser({ id }, ctx);
        emails.set(id, { email: user.email, at: Date.now() });
        return { id, email: user.email };
      } catch (err) {
        if (isLatchflowError(err) && err.code === ErrorCode.NotFound) return { id, email: "" };
        throw err;
      }
    },
  };
}
