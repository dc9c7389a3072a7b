import { Scope } from "@latchflow/api/scopes";
import { defineCommand, shape } from "./command.js";
import { messageFields, messageOptions } from "./message-options.js";
import { bundleId, parseCount, parseDuration, recipientId } from "./resolve.js";

export const list = defineCommand({
  path: ["assignments", "list"],
  summary: "A bundle's assignments: who, limits, used and remaining",
  usage: "latchflow assignments list BUNDLE",
  examples: ['latchflow assignments list "Family archive"'],
  access: `${Scope.BundlesRead} on the bundle`,
  args: [{ name: "BUNDLE", required: true }],
  output: {
    description: "{ items: Assignment[] }",
    schema: shape((c) => c.z.object({ items: c.z.array(c.schemas.Assignment) })),
  },
  async run(ctx) {
    const api = await ctx.api();
    const result = await api.listAssignments({ params: { id: await bundleId(api, ctx.args[0]!) } });
    ctx.out.result(result, () =>
      ctx.out.table(result.items, [
        { header: "ID", value: (a) => a.id },
        { header: "RECIPIENT", value: (a) => a.recipientId },
        { header: "ENABLED", value: (a) => (a.enabled ? "yes" : "no") },
        { header: "USED", value: (a) => a.used, right: true },
        { header: "LEFT", value: (a) => a.remaining ?? "∞", right: true },
        { header: "NEXT", value: (a) => a.nextAvailableAt ?? "now" },
        { header: "WINDOW", value: (a) => `${a.notBefore ?? "…"} – ${a.notAfter ?? "…"}` },
        {
          header: "MESSAGE",
          value: (a) =>
            !a.message ? "-" : !a.acknowledgementRequired ? "yes" : a.acknowledgedAt ? "read" : "unread",
        },
      ]),
    );
    return undefined;
  },
});

export const set = defineCommand({
  path: ["assignments", "set"],
  summary: "Assign a bundle to a recipient, or change that assignment's limits (creates it when absent)",
  usage:
    "latchflow assignments set BUNDLE RECIPIENT [--max-downloads N] [--cooldown D] [--not-before T] [--not-after T]\n" +
    "       [--passphrase P | --no-passphrase] [--enable | --disable] [--reset-usage]\n" +
    "       [--message TEXT | --message-file FILE] [--require-ack | --no-require-ack]",
  examples: [
    'latchflow assignments set "Family archive" alice@example.com --max-downloads 5 --cooldown 1d',
    'latchflow assignments set "Family archive" alice@example.com --message-file letter.txt --require-ack',
    'latchflow assignments set "Family archive" alice@example.com --reset-usage',
  ],
  access: `${Scope.BundlesWrite} on the bundle (and ${Scope.FilesRead} on its files to create one)`,
  args: [
    { name: "BUNDLE", required: true },
    { name: "RECIPIENT", required: true },
  ],
  options: {
    "max-downloads": { type: "string", value: "N", description: "downloads allowed (0 = unlimited)" },
    cooldown: { type: "string", value: "DURATION", description: "wait between downloads, e.g. 12h" },
    "not-before": {
      type: "string",
      value: "TIME",
      description: "ISO time before which downloads are refused",
    },
    "not-after": { type: "string", value: "TIME", description: "ISO time after which downloads are refused" },
    passphrase: { type: "string", value: "P", description: "require this passphrase" },
    "no-passphrase": { type: "boolean", description: "remove the passphrase" },
    enable: { type: "boolean", description: "allow downloads" },
    disable: { type: "boolean", description: "refuse downloads, keep the assignment" },
    "reset-usage": { type: "boolean", description: "give the used downloads back" },
    ...messageOptions,
  },
  output: { description: "Assignment (after the change)", schema: shape((c) => c.schemas.Assignment) },
  async run(ctx) {
    const o = ctx.options;
    const api = await ctx.api();
    const id = await bundleId(api, ctx.args[0]!);
    const recipient = await recipientId(api, ctx.args[1]!);
    const maxDownloads = parseCount(o["max-downloads"], "--max-downloads", ctx.commandLine);
    const limits = {
      ...(maxDownloads !== undefined ? { maxDownloads } : {}),
      ...(o.cooldown ? { cooldownSeconds: parseDuration(o.cooldown, "--cooldown", ctx.commandLine) } : {}),
      ...(o["not-before"] ? { notBefore: o["not-before"] } : {}),
      ...(o["not-after"] ? { notAfter: o["not-after"] } : {}),
      ...(o.passphrase ? { passphrase: o.passphrase } : o["no-passphrase"] ? { passphrase: null } : {}),
      ...(o.enable ? { enabled: true } : o.disable ? { enabled: false } : {}),
      ...(await messageFields(o, ctx.commandLine)),
    };
    const existing = (await api.listAssignments({ params: { id } })).items.find(
      (a) => a.recipientId === recipient,
    );
    const a = existing
      ? await api.updateAssignment({
          params: { id: existing.id },
          body: { ...limits, ...(o["reset-usage"] ? { resetUsage: true } : {}) },
        })
      : await api.createAssignment({ params: { id }, body: { recipientId: recipient, ...limits } });
    ctx.out.result(a, () =>
      ctx.out.line(
        `${existing ? "Updated" : "Created"} assignment ${a.id}: ${a.maxDownloads || "unlimited"} download(s), ${a.used} used${a.enabled ? "" : ", disabled"}${a.message ? `, message (${a.message.length} characters)` : ""}${a.acknowledgementRequired ? `, acknowledgement ${a.acknowledgedAt ? `given ${a.acknowledgedAt}` : "required"}` : ""}`,
      ),
    );
    return undefined;
  },
});

export const commands = [list, set];
