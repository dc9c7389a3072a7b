import { createHmac, randomBytes } from "node:crypto";
import { createLogger } from "@latchflow/runtime";
import { type Database, databaseTarget, OutboxMessage, openDatabase, sqlTable } from "@latchflow/runtime/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectRefusal } from "../client-helpers.js";
import { putPipeline } from "../pipelines/helpers.js";
import { MODES, OWNER_EMAIL, type Stack, startStack } from "../stack.js";

/**
 * Dead-man check-in links are bearer capabilities: they never reach the logs, they expire with the dead-man
 * period (checkInEvery + grace), rotating the trigger's links revokes them, and the key that signs them is
 * sealed with the master key in the kernel database.
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const settle = () => new Promise((r) => setTimeout(r, 400));

const deadman = `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: legacy }
spec:
  triggers:
    - id: switch
      uses: deadman@1
      with: { checkInEvery: 10d, grace: 2d, remind: [3d] }
  steps:
    - { id: tell, uses: email@1, if: trigger.kind == "fired", with: { to: [heir@example.com], subject: s, text: t } }
`;

/** The kernel's settings row as stored (read straight from its database, as an attacker with a dump would). */
async function kernelDb(s: Stack): Promise<Database> {
  return openDatabase(
    databaseTarget(s.config, "kernel"),
    { entities: [OutboxMessage], migrations: [] },
    createLogger({ level: "silent" }),
  );
}

describe.each(MODES)("check-in links on %s + %s", (dialect, bus) => {
  let s: Stack;
  let db: Database;
  const lines: string[] = [];
  const legacyKey = randomBytes(32).toString("hex");
  const storedKey = async () => {
    const rows = (await db
      .em()
      .getConnection()
      .execute(`select value from ${sqlTable(db, "kernel_settings")} where key = ?`, [
        "trigger-link-key",
      ])) as { value: string }[];
    return rows[0]?.value;
  };
  const links: string[] = [];
  const nextLink = async () => {
    const mail = await s.mail.waitFor(
      OWNER_EMAIL,
      (m) => m.text.includes("/checkin/") && !links.some((l) => m.text.includes(l)),
    );
    const link = /(http:\/\/\S+\/checkin\/\S+)/.exec(mail.text)?.[1] ?? "";
    links.push(link);
    return link;
  };
  const checkIn = (link: string) =>
    fetch(link, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "",
    });

  beforeAll(async () => {
    const logger = createLogger({
      level: "info",
      destination: { write: (line: string) => void lines.push(line) },
    });
    s = await startStack(dialect, bus, "secchk", { LATCHFLOW_KERNEL_POLL_MS: "50" }, { logger });
    db = await kernelDb(s);
    // a key stored in clear by an older version, before any link was signed
    await db
      .em()
      .getConnection()
      .execute(`insert into ${sqlTable(db, "kernel_settings")} (key, value) values (?, ?)`, [
        "trigger-link-key",
        legacyKey,
      ]);
  });
  afterAll(async () => {
    await db?.close();
    await s?.stop();
  });

  it("check-in tokens are not written to the access log; the link works and expires after checkInEvery + grace", async () => {
    const before = s.now().getTime();
    await putPipeline(s, "legacy", deadman);
    await settle();
    s.advance(9 * DAY + HOUR); // the reminder goes out
    const link = await nextLink();
    const token = link.slice(link.indexOf("/checkin/") + "/checkin/".length);

    expect((await fetch(link)).status).toBe(200);
    const done = await checkIn(link);
    expect(done.status, await done.clone().text()).toBe(200);
    expect(await done.text()).toContain("Checked in");

    const log = lines.join("");
    expect(log).toContain('"path":"/checkin/[token]"');
    expect(log).not.toContain(token);
    expect(log).not.toContain(token.split(".")[1]);

    // tokens expire sooner: one dead-man period and its grace (12 days), not 60
    const claims = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString()) as {
      exp: number;
    };
    const lifetime = claims.exp * 1000 - (before + 9 * DAY + HOUR);
    expect(lifetime).toBeGreaterThan(12 * DAY - 5 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(12 * DAY + 60_000);
  });

  it("the kernel DB no longer holds the trigger-link key in clear: an existing clear key is sealed on first read", async () => {
    const stored = await storedKey();
    expect(stored).toMatch(/^sealed:/);
    expect(stored).not.toContain(legacyKey);
    // the same key, sealed: links signed before the upgrade keep working
    const token = (links[0] ?? "").split("/checkin/")[1] ?? "";
    const [body, sig] = token.split(".");
    const mac = createHmac("sha256", Buffer.from(legacyKey, "hex"))
      .update(`lf-trigger-link:${body}`)
      .digest("base64url");
    expect(sig).toBe(mac);
  });

  it("check-in tokens are revocable: rotating the trigger's links makes an old link 404; new reminders work", async () => {
    const old = links[0] ?? "";
    expect((await fetch(old)).status).toBe(200);
    const api = s.client();
    const rotate = (trigger: string) => ({
      params: { name: "legacy", trigger, action: "rotate-links" as const },
      body: {},
    });
    const narrow = await api.createToken({ body: { name: "reader", scopes: ["bundles:read"] } });
    expectRefusal(
      await s.client(narrow.token).raw.controlTrigger(rotate("switch")),
      403,
      "permission_denied",
    );
    expect(await api.controlTrigger(rotate("switch"))).toMatchObject({ rotated: true, generation: 1 });

    expect((await fetch(old)).status).toBe(404);
    expect((await checkIn(old)).status).toBe(404);
    expectRefusal(await api.raw.controlTrigger(rotate("nope")), 404, "not_found");

    // the next period's reminder (deadline day 21, reminder day 18) carries a link of the new generation
    s.advance(9 * DAY);
    const fresh = await nextLink();
    expect(fresh).not.toBe(old);
    expect((await checkIn(fresh)).status).toBe(200);
    expect(lines.join("")).not.toContain(fresh.split("/checkin/")[1] ?? "");
  });
});
