import { createTestHost } from "@latchflow/plugin-sdk/node";
import type { JsonObject } from "@latchflow/sandbox";
import { beforeAll, describe, expect, it } from "vitest";
import { actionIn, buildBuiltin, run } from "./helpers.js";

let code: string;
beforeAll(async () => {
  code = await buildBuiltin("grant");
});

const NOW = "2030-01-02T00:00:00.000Z";

function grantingHost() {
  const requests: JsonObject[] = [];
  const record = createTestHost({
    overrides: {
      bundles: {
        grant: async (request) => {
          requests.push(request);
          const recipients = request.recipients as string[];
          return {
            bundleId: "bnd_01",
            assignments: recipients.map((recipient, i) => ({
              recipient,
              assignmentId: `asg_${i + 1}`,
              created: true,
            })),
          };
        },
      },
    },
  });
  return { record, requests };
}

describe("grant@1", () => {
  it("grants with the computed window and notifies each recipient once, with the rendered message", async () => {
    const { record, requests } = grantingHost();
    const config = {
      bundle: "family-archive",
      recipients: ["alice@example.com", "bob@example.com"],
      maxDownloads: 3,
      cooldown: "1h30m",
      expiresIn: "30d",
      passphrase: "correct horse battery",
      message: "Dad wanted you to have these (deadline {{ trigger.payload.deadline }}). <b>{{ run.id }}</b>",
    };
    expect(await run(code, "grant@1", actionIn(config, { now: NOW }), record.host)).toEqual({
      assignmentIds: ["asg_1", "asg_2"],
      notified: ["alice@example.com", "bob@example.com"],
    });
    expect(requests).toEqual([
      {
        bundle: "family-archive",
        recipients: ["alice@example.com", "bob@example.com"],
        maxDownloads: 3,
        cooldownSeconds: 5_400,
        notBefore: null,
        notAfter: "2030-02-01T00:00:00.000Z",
        passphrase: "correct horse battery",
        idempotencyKey: "run-1:step-1",
        // the same rendered text is the assignment's message, shown in the portal before the download
        message: "Dad wanted you to have these (deadline 2030-01-01T00:00:00.000Z). <b>run-1</b>",
        acknowledgementRequired: false,
      },
    ]);
    expect(record.mails.map((m) => [m.to, m.idempotencyKey])).toEqual([
      [["alice@example.com"], "run-1:step-1:notify:alice@example.com"],
      [["bob@example.com"], "run-1:step-1:notify:bob@example.com"],
    ]);
    const text = record.mails[0]!.text;
    expect(text).toContain("Dad wanted you to have these (deadline 2030-01-01T00:00:00.000Z). <b>run-1</b>");
    // straight to the bundle's own page in the portal
    expect(text).toContain("https://portal.example.com/portal/bundles/bnd_01\n");
    expect(text).toContain("until 2030-02-01T00:00:00.000Z");
    expect(text).toContain("passphrase");
    expect(text).not.toContain("correct horse");
  });

  it("expiresIn counts from notBefore; notAfter is passed as given (UTC); defaults are explicit", async () => {
    const a = grantingHost();
    await run(
      code,
      "grant@1",
      actionIn({
        bundle: "b",
        recipients: ["a@example.com"],
        notBefore: "2030-03-01T00:00:00+01:00",
        expiresIn: "1d",
        notify: false,
      }),
      a.record.host,
    );
    expect(a.requests[0]).toEqual({
      bundle: "b",
      recipients: ["a@example.com"],
      maxDownloads: 0,
      cooldownSeconds: 0,
      notBefore: "2030-02-28T23:00:00.000Z",
      notAfter: "2030-03-01T23:00:00.000Z",
      passphrase: null,
      idempotencyKey: "run-1:step-1",
      message: "",
      acknowledgementRequired: false,
    });
    expect(a.record.mails).toEqual([]);

    const b = grantingHost();
    expect(
      await run(
        code,
        "grant@1",
        actionIn({
          bundle: "b",
          recipients: ["a@example.com"],
          notAfter: "2030-12-31T23:59:59Z",
          notify: false,
        }),
        b.record.host,
      ),
    ).toEqual({ assignmentIds: ["asg_1"], notified: [] });
    expect(b.requests[0]).toMatchObject({ notBefore: null, notAfter: "2030-12-31T23:59:59.000Z" });
  });

  it("a message naming a missing value fails before anything is granted or sent", async () => {
    const { record, requests } = grantingHost();
    await expect(
      run(
        code,
        "grant@1",
        actionIn({ bundle: "b", recipients: ["a@example.com"], message: "{{ steps.x.outputs.y }}" }),
        record.host,
      ),
    ).rejects.toMatchObject({ code: "plugin_error", message: expect.stringContaining("steps.x.outputs.y") });
    expect(requests).toEqual([]);
    expect(record.mails).toEqual([]);
  });

  it("message and requireAcknowledgement flow into the grant even without an email", async () => {
    const { record, requests } = grantingHost();
    await run(
      code,
      "grant@1",
      actionIn({
        bundle: "b",
        recipients: ["a@example.com"],
        message: "Read me first, {{ run.id }}.\nLine two.",
        requireAcknowledgement: true,
        notify: false,
      }),
      record.host,
    );
    expect(requests[0]).toMatchObject({
      message: "Read me first, run-1.\nLine two.",
      acknowledgementRequired: true,
    });
    expect(record.mails).toEqual([]);

    const told = grantingHost();
    await run(
      code,
      "grant@1",
      actionIn({ bundle: "b", recipients: ["a@example.com"], message: "Hi", requireAcknowledgement: true }),
      told.record.host,
    );
    expect(told.record.mails[0]!.text).toContain("confirm that you have read this message");
  });
});
