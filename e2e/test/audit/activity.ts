import { randomBytes } from "node:crypto";
import { waitFor } from "@latchflow/testing";
import { grantDownload, recipientBrowser, upload } from "../files/helpers.js";
import { finished, putPipeline, startRun } from "../pipelines/helpers.js";
import type { Stack } from "../stack.js";
import { recorded } from "./helpers.js";

/** What `seedActivity` made, by name and id. */
export interface Activity {
  family: { id: string; name: string };
  work: { id: string; name: string };
  alice: { id: string; email: string };
  bob: { id: string; email: string };
  /** a pipeline whose manual run failed (its bundle was deleted after it was saved) */
  failing: { name: string; runId: string };
  /** a pipeline with a dead-man switch, armed */
  legacy: { name: string; trigger: string };
}

/**
 * Some of everything the audit viewer and the dashboard show, as the owner: two bundles with a file each,
 * "Family archive" released to alice and bob and "Work papers" to alice; alice downloads the family archive
 * twice and the work papers once, bob the family archive once (3 releases, 4 downloads today); a pipeline
 * whose run failed, and a dead-man switch armed with its deadline 12 days ahead.
 */
export async function seedActivity(s: Stack, tag = randomBytes(3).toString("hex")): Promise<Activity> {
  const api = s.client();
  const bundle = async (name: string) => {
    const b = await api.createBundle({ body: { name } });
    const fileId = await upload(s, `${name}.txt`, randomBytes(2000));
    await api.setBundleObjects({ params: { id: b.id }, body: { objects: [{ fileId }] } });
    return { id: b.id, name };
  };
  const family = await bundle(`Family archive ${tag}`);
  const work = await bundle(`Work papers ${tag}`);
  const person = async (who: string) => {
    const email = `${who}-${tag}@example.com`;
    return { id: (await api.createRecipient({ body: { email } })).id, email };
  };
  const alice = await person("alice");
  const bob = await person("bob");
  for (const [b, r] of [
    [family, alice],
    [family, bob],
    [work, alice],
  ] as const)
    await api.createAssignment({ params: { id: b.id }, body: { recipientId: r.id } });
  const aliceBrowser = await recipientBrowser(s, alice.email);
  await grantDownload(aliceBrowser, family.id);
  await grantDownload(aliceBrowser, family.id);
  await grantDownload(aliceBrowser, work.id);
  await grantDownload(await recipientBrowser(s, bob.email), family.id);

  const doomed = await api.createBundle({ body: { name: `doomed-${tag}` } });
  const failingName = `share-now-${tag}`;
  await putPipeline(
    s,
    failingName,
    `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: ${failingName} }
spec:
  triggers:
    - { id: go, uses: manual@1 }
  steps:
    - id: pub
      uses: publish@1
      with: { bundle: doomed-${tag}, expiresIn: 1d }
`,
  );
  await api.deleteBundle({ params: { id: doomed.id } });
  const run = await finished(s, failingName, (await startRun(s, failingName)).id);
  if (run.status !== "failed") throw new Error(`the run was meant to fail: ${run.status}`);

  const legacyName = `legacy-${tag}`;
  await putPipeline(
    s,
    legacyName,
    `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: ${legacyName} }
spec:
  triggers:
    - id: switch
      uses: deadman@1
      with: { checkInEvery: 10d, grace: 2d }
  steps:
    - id: tell
      uses: email@1
      with: { to: [heir@example.com], subject: "Released", text: "Released" }
`,
  );
  // armed when the kernel ran the pipeline's arm job: the deadline timer is there
  await waitFor(
    async () =>
      (await s.client().getStatsOverview()).deadlines.some((d) => d.pipeline === legacyName) || undefined,
    { timeoutMs: 20_000, description: "the dead-man deadline armed" },
  );
  // everything above is in the audit log before the tests look
  await recorded(s, "pipelines.pipeline.saved", (r) => JSON.stringify(r.data).includes(legacyName));
  await recorded(s, "bundles.download.granted", (r) => r.subjectIds.recipientId === bob.id);
  return {
    family,
    work,
    alice,
    bob,
    failing: { name: failingName, runId: run.id },
    legacy: { name: legacyName, trigger: "switch" },
  };
}
