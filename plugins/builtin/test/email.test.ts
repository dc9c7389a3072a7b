import { createTestHost } from "@latchflow/plugin-sdk/node";
import type { MailMessage } from "@latchflow/sandbox";
import { beforeAll, describe, expect, it } from "vitest";
import { actionIn, buildBuiltin, run } from "./helpers.js";

let code: string;
beforeAll(async () => {
  code = await buildBuiltin("email");
});

const CAP = "email@1";
const XSS = `<script>alert("x")</script> & 'q'`;

function send(config: Record<string, unknown>, payload: unknown = {}, record = createTestHost()) {
  const input = actionIn(config, {
    trigger: {
      id: "hook",
      uses: "webhook@1",
      kind: "fired",
      firedAt: "2030-01-01T00:00:00.000Z",
      payload: payload as never,
    },
    steps: {
      publish: {
        outcome: "succeeded",
        outputs: { url: "https://dl.example.com/l/abc?x=1&y=2", count: 3, tags: ["a", "b"] },
      },
    },
  });
  return { result: run(code, CAP, input, record.host), record };
}

describe("email@1", () => {
  it("renders subject, text and html per target and sends with the step's idempotency key", async () => {
    const { result, record } = send(
      {
        to: ["alice@example.com"],
        cc: ["lawyer@example.com"],
        subject: "Release {{ trigger.kind }}: {{trigger.payload.title}}",
        text: "Hi,\n{{ trigger.payload.title }} / {{ steps.publish.outputs.url }} / {{ steps.publish.outputs.count }} / {{ steps.publish.outputs.tags }} / {{ steps.publish.outcome }} / {{ run.id }} / {{ pipeline.name }} / {{ trigger.payload.items.1 }}",
        html: '<p><a href="{{ steps.publish.outputs.url }}">{{ trigger.payload.title }}</a></p>',
      },
      { title: XSS, items: ["zero", "one"] },
    );
    expect(await result).toEqual({
      messageId: "test-1",
      accepted: ["alice@example.com", "lawyer@example.com"],
    });
    expect(record.mails).toEqual<MailMessage[]>([
      {
        to: ["alice@example.com"],
        cc: ["lawyer@example.com"],
        subject: `Release fired: ${XSS}`,
        text: `Hi,\n${XSS} / https://dl.example.com/l/abc?x=1&y=2 / 3 / ["a","b"] / succeeded / run-1 / family-legacy / one`,
        html: '<p><a href="https://dl.example.com/l/abc?x=1&amp;y=2">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;</a></p>',
        idempotencyKey: "run-1:step-1",
      },
    ]);
  });

  it("replaces line breaks in the subject with spaces (no header injection)", async () => {
    const { result, record } = send(
      {
        to: ["a@example.com"],
        subject: "Hello {{ trigger.payload.name }}",
        text: "{{ trigger.payload.name }}",
      },
      { name: "Eve\r\nBcc: victim@example.com\nX\u2028Y" },
    );
    await result;
    expect(record.mails[0]?.subject).toBe("Hello Eve Bcc: victim@example.com X Y");
    expect(record.mails[0]?.text).toBe("Eve\r\nBcc: victim@example.com\nX\u2028Y");
    expect(record.mails[0]).not.toHaveProperty("cc");
  });

  it("substitutes once: a value that looks like a template stays literal", async () => {
    const { result, record } = send(
      { to: ["a@example.com"], subject: "s", text: "{{ trigger.payload.v }}" },
      { v: "{{ run.id }}" },
    );
    await result;
    expect(record.mails[0]?.text).toBe("{{ run.id }}");
  });

  it("fails the step naming the path when a value is missing, and sends nothing", async () => {
    for (const [template, path] of [
      ["{{ trigger.payload.nope }}", "trigger.payload.nope"],
      ["{{ steps.other.outputs.url }}", "steps.other.outputs.url"],
      ["{{ steps.publish.outputs.url.deeper }}", "steps.publish.outputs.url.deeper"],
    ] as const) {
      const { result, record } = send({ to: ["a@example.com"], subject: "s", text: "ok", html: template });
      await expect(result).rejects.toMatchObject({
        code: "plugin_error",
        message: expect.stringContaining(`"${path}" is missing`),
      });
      expect(record.mails).toEqual([]);
    }
  });

  it("refuses paths outside the template roots (no idempotency keys, no secrets)", async () => {
    const { result } = send({ to: ["a@example.com"], subject: "{{ run.idempotencyKey }}", text: "" });
    await expect(result).rejects.toMatchObject({ message: expect.stringContaining("is not available") });
  });

  it("reports the addresses the host says it accepted when it says so", async () => {
    const record = createTestHost({
      overrides: {
        mail: {
          send: async () => ({ messageId: "<m@x>", accepted: ["a@example.com"] }) as { messageId: string },
        },
      },
    });
    const { result } = send({ to: ["a@example.com", "b@example.com"], subject: "s", text: "t" }, {}, record);
    expect(await result).toEqual({ messageId: "<m@x>", accepted: ["a@example.com"] });
  });
});
