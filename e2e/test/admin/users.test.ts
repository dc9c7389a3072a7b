// The admin app's Users, API tokens and Plugins pages (issue 14): an invitation sent through the page and used in a
// second browser; grants and a deny override given by name, and "what can this user do" checked against what the
// executor can really do through the API; a narrow token created, seen once, used, rotated and revoked; a plugin
// installed from its package file, its capabilities, hosts and write-only secret managed, then uninstalled. An
// executor and a narrow token are not offered these pages and are refused them. axe and light/dark screenshots on
// every page and state.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isApiError } from "@latchflow/api/client";
import { packPlugin } from "@latchflow/plugin-sdk/node";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  hasFocus,
  launchChromium,
  newContext,
  recordForeignRequests,
  recordPageErrors,
} from "../browser.js";
import { putPipeline } from "../pipelines/helpers.js";
import { adminLinkIn, MODES, OWNER_EMAIL, type Stack } from "../stack.js";
import { checkPage, signInByLink, startAdminStack } from "./browser.js";

const packDir = mkdtempSync(join(tmpdir(), "lf-admin-plugin-"));
afterAll(() => rmSync(packDir, { recursive: true, force: true }));
/** The test plugin's package, as `latchflow-plugin pack` makes it. */
async function packWeather() {
  const dir = fileURLToPath(new URL("./fixtures/weather", import.meta.url));
  return packPlugin({ dir, outFile: join(packDir, "weather-1.0.0.tgz") });
}

const pipeline = (name: string) => `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: ${name} }
spec:
  triggers:
    - { id: go, uses: manual@1 }
  steps:
    - id: tell
      uses: email@1
      with: { to: [${OWNER_EMAIL}], subject: "ran", text: "ran" }
`;

/** The status of an API call made from the page with its own session (cookie and CSRF header), as a script could. */
async function fromPage(page: Page, method: string, path: string, body?: unknown): Promise<number> {
  const csrf = (await page.context().cookies()).find((c) => c.name === "lf_csrf")?.value ?? "";
  return page.evaluate(
    async ({ method, path, body, csrf }) =>
      (
        await fetch(path, {
          method,
          headers: { "content-type": "application/json", "x-csrf-token": decodeURIComponent(csrf) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        })
      ).status,
    { method, path, body, csrf },
  );
}

const statusOf = async (call: Promise<unknown>) => {
  try {
    await call;
    return 200;
  } catch (err) {
    if (isApiError(err)) return err.status;
    throw err;
  }
};

/** People's browsers: each opened page has its own cookies (a person on one device) and records what it may not do. */
function people() {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  return {
    start: async () => {
      browser = await launchChromium();
    },
    open: async (base: string) => {
      if (!browser) throw new Error("people.start() first");
      const context = await newContext(browser);
      contexts.push(context);
      const page = await context.newPage();
      return { page, foreign: recordForeignRequests(page, base), errors: recordPageErrors(page) };
    },
    stop: async () => {
      for (const c of contexts) await c.close().catch(() => {});
      await browser?.close();
    },
  };
}

const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name });

describe.each(MODES)("users, tokens and plugins in the admin app on %s + %s", (dialect, bus) => {
  let s: Stack;
  const browsers = people();
  const open = () => browsers.open(s.base);
  const toastSays = (page: Page, text: string | RegExp) =>
    page.getByRole("status").getByText(text).first().waitFor();
  /** the owner, signed in on `path` */
  const owner = async (path: string) => {
    const opened = await open();
    await opened.page.goto(`${s.base}/admin${path}`);
    await signInByLink(opened.page, s, OWNER_EMAIL);
    return opened;
  };

  beforeAll(async () => {
    s = await startAdminStack("admusers", [dialect, bus]);
    await browsers.start();
  });
  afterAll(async () => {
    await browsers.stop();
    await s?.stop();
  });

  it("invites a user who signs in from the mail; grants, a deny override and “what can this user do” match the API", {
    timeout: 300_000,
  }, async () => {
    const api = s.client();
    const shared = await api.createBundle({ body: { name: "Shared photos" } });
    const secret = await api.createBundle({ body: { name: "Private letters" } });
    await putPipeline(s, "nightly", pipeline("nightly"));
    await putPipeline(s, "other", pipeline("other"));

    const { page, foreign, errors } = await owner("/users");
    await heading(page, "Users").waitFor();
    const nav = page.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link").allTextContents()).toEqual(
      expect.arrayContaining(["Users", "Tokens", "Plugins"]),
    );
    await page.getByRole("heading", { name: "Only you so far" }).waitFor();
    expect(await page.getByRole("link", { name: "How users and access work" }).getAttribute("href")).toBe(
      "/admin/help#users",
    );
    expect(await page.getByRole("button", { name: "Invite user" }).getAttribute("data-shortcut")).toBe("new");
    expect(await page.getByLabel("Filter users").getAttribute("data-shortcut")).toBe("search");
    await checkPage(page, "users-alone");

    // invite: a wrong address is said at the field, with focus on it
    await page.getByRole("button", { name: "Invite user" }).click();
    const invite = page.getByRole("dialog", { name: "Invite a user" });
    const email = invite.getByLabel("Email address");
    await eventually(() => hasFocus(email)).toBe(true);
    await email.fill("not-an-address");
    await invite.getByRole("button", { name: "Send invitation" }).click();
    await eventually(() => email.getAttribute("aria-invalid")).toBe("true");
    expect(await hasFocus(email)).toBe(true);
    await checkPage(page, "users-invite-error");
    const executorEmail = `exec-${dialect}@example.com`;
    await email.fill(executorEmail);
    await invite.getByLabel("Role", { exact: true }).selectOption("executor");
    await invite.getByRole("button", { name: "Send invitation" }).click();
    await toastSays(page, `Invited ${executorEmail}. They have been emailed a sign-in link.`);
    const table = page.getByRole("table", { name: "Users" });
    await table.getByRole("link", { name: executorEmail }).waitFor();
    const invited = (await api.listUsers()).items.find((u) => u.email === executorEmail);
    expect(invited).toMatchObject({ role: "executor", active: true, lastSignInAt: null });
    // the same address again: said at the field
    await page.getByRole("button", { name: "Invite user" }).click();
    await invite.getByLabel("Email address").fill(executorEmail);
    await invite.getByRole("button", { name: "Send invitation" }).click();
    await invite.getByText("Someone with this email address is already a user.").waitFor();
    await page.keyboard.press("Escape");
    await checkPage(page, "users");

    // the invited person opens the link from the mail in their own browser
    const mail = await s.mail.waitFor(executorEmail);
    const link = adminLinkIn(mail.text);
    const executor = await open();
    await executor.page.goto(link);
    // the invitation lands on the start page, the dashboard
    await heading(executor.page, "Dashboard").waitFor();
    expect((await api.getUser({ params: { id: invited!.id } })).lastSignInAt).not.toBeNull();

    // grants by name, on the user's page
    await table.getByRole("link", { name: executorEmail }).click();
    await heading(page, executorEmail).waitFor();
    await page.getByText("No grants.").waitFor();
    await checkPage(page, "user-detail-empty");
    const grant = async (
      rule: "Add grant" | "Add deny override",
      on: string,
      which: string,
      action: string,
    ) => {
      await page.getByRole("button", { name: rule, exact: true }).click();
      const dialog = page.getByRole("dialog", { name: new RegExp(`^(Grant|Deny) ${executorEmail}`) });
      await dialog.getByLabel("On", { exact: true }).selectOption({ label: on });
      if (which)
        await dialog
          .getByLabel(
            on.replace("One ", "").replace(/^./, (c) => c.toUpperCase()),
            { exact: true },
          )
          .selectOption({ label: which });
      await dialog.getByLabel("Action", { exact: true }).selectOption(action);
      await dialog.getByRole("button", { name: rule }).click();
      await dialog.waitFor({ state: "hidden" });
    };
    await page.getByRole("button", { name: "Add grant" }).click();
    const grantDialog = page.getByRole("dialog", { name: `Grant ${executorEmail} access` });
    await grantDialog.getByRole("button", { name: "Add grant" }).click();
    await grantDialog.getByText("Choose the bundle, or “Every bundle”.").waitFor();
    await checkPage(page, "user-grant-error");
    await page.keyboard.press("Escape");
    await grant("Add grant", "One bundle", "Shared photos", "bundles:read");
    await toastSays(page, "Granted: See bundles — bundle “Shared photos”.");
    await grant("Add grant", "One pipeline", "nightly", "pipelines:run");
    await toastSays(page, "Granted: Run pipelines — pipeline “nightly”.");
    await grant("Add deny override", "Everything", "", "tokens:write");
    await toastSays(page, "Denied: Create, rotate and revoke API tokens, approve devices — everything.");
    const grants = page.getByRole("list", { name: "Grants" });
    await grants
      .getByRole("button", { name: "Remove grant: See bundles — bundle “Shared photos”" })
      .waitFor();
    await grants.getByRole("button", { name: "Remove grant: Run pipelines — pipeline “nightly”" }).waitFor();
    await page
      .getByRole("list", { name: "Deny overrides" })
      .getByRole("button", { name: /^Remove deny override: .* — everything$/ })
      .waitFor();
    const stored = (await api.listPermissions({ params: { id: invited!.id } })).items;
    expect(stored.map((p) => [p.action, p.resourceType, p.resourceId, p.effect])).toEqual(
      expect.arrayContaining([
        ["bundles:read", "bundle", shared.id, "allow"],
        ["pipelines:run", "pipeline", "nightly", "allow"],
        ["tokens:write", "*", "*", "deny"],
      ]),
    );
    expect(stored).toHaveLength(3);

    // "what can this user do": the page's answers, and what the executor's own session really gets
    const ask = page.getByRole("form", { name: "Ask about one action" });
    const answer = async (action: string, on: string, which: string) => {
      await ask.getByLabel("Action", { exact: true }).selectOption(action);
      await ask.getByLabel("On", { exact: true }).selectOption({ label: on });
      if (which)
        await ask
          .getByLabel(
            on.replace("One ", "").replace(/^./, (c) => c.toUpperCase()),
            { exact: true },
          )
          .selectOption({ label: which });
      await ask.getByRole("button", { name: "Check" }).click();
      const verdict = ask.locator(".verdict");
      await eventually(() => verdict.textContent()).toContain(
        `(${action}) on ${which ? "" : "the whole list"}`,
      );
      if (which)
        await eventually(() => verdict.textContent()).toContain(
          `(${action}) on ${on.replace("One ", "")} “${which}”`,
        );
      return {
        verdict: (await verdict.textContent()) ?? "",
        why: (await ask.locator(".answer p").nth(1).textContent()) ?? "",
      };
    };
    const self = (await s.signIn(executorEmail)).client();
    const cases = [
      {
        action: "bundles:read",
        on: "One bundle",
        which: "Shared photos",
        api: () => self.getBundle({ params: { id: shared.id } }),
      },
      {
        action: "bundles:read",
        on: "One bundle",
        which: "Private letters",
        api: () => self.getBundle({ params: { id: secret.id } }),
      },
      {
        action: "pipelines:run",
        on: "One pipeline",
        which: "nightly",
        api: () => self.startPipelineRun({ params: { name: "nightly" }, body: {} }),
      },
      {
        action: "pipelines:run",
        on: "One pipeline",
        which: "other",
        api: () => self.startPipelineRun({ params: { name: "other" }, body: {} }),
      },
      {
        action: "tokens:write",
        on: "The whole list (no one resource)",
        which: "",
        api: () => self.createToken({ body: { name: "mine" } }),
      },
      {
        action: "tokens:read",
        on: "The whole list (no one resource)",
        which: "",
        api: () => self.listTokens(),
      },
      {
        action: "users:admin",
        on: "The whole list (no one resource)",
        which: "",
        api: () => self.listUsers(),
      },
    ];
    const seen: [string, boolean, boolean][] = [];
    for (const c of cases) {
      const { verdict } = await answer(c.action, c.on, c.which);
      const status = await statusOf(c.api());
      seen.push([`${c.action} ${c.which}`, verdict.includes("Allowed"), status < 400]);
      if (status >= 400) expect(status).toBe(403);
    }
    expect(seen.map(([what, page]) => [what, page])).toEqual(seen.map(([what, , real]) => [what, real]));
    expect(seen.map(([, allowed]) => allowed)).toEqual([true, false, true, false, false, true, false]);
    // why: the override is spelled out by what it denies
    const denied = await answer("tokens:write", "The whole list (no one resource)", "");
    expect(denied.why).toMatch(
      /denied by permission override \w+ \(Create, rotate and revoke API tokens, approve devices — everything\)/,
    );
    const refusedRole = await answer("bundles:read", "One bundle", "Private letters");
    expect(refusedRole.why).toBe("Why: the executor role needs an explicit grant for bundles:read");
    await checkPage(page, "user-what-can");
    // the effective permissions table, by name, the same as the executor's own getMe
    const effective = page.getByRole("table", { name: `Effective permissions of ${executorEmail}` });
    const row = (scope: string) => effective.getByRole("row").filter({ hasText: scope });
    await eventually(() => row("bundles:read").textContent()).toContain("Only Shared photos");
    expect(await row("pipelines:run").textContent()).toContain("Only nightly");
    expect(await row("tokens:write").textContent()).toContain("Nothing");
    expect(await row("tokens:read").textContent()).toContain("Everything");
    const own = await self.getMe();
    expect(own.effective["bundles:read"]).toEqual([shared.id]);
    expect(own.effective["tokens:write"]).toBe("none");

    // the executor is offered none of these pages, and the server refuses them from the executor's page
    await executor.page.reload();
    await heading(executor.page, "Dashboard").waitFor();
    const theirNav = executor.page.getByRole("navigation", { name: "Main" });
    expect(await theirNav.getByRole("link").allTextContents()).toEqual([
      "Dashboard",
      "Bundles",
      "Tokens",
      "Sessions",
    ]);
    await executor.page.goto(`${s.base}/admin/users`);
    await executor.page.getByRole("heading", { name: "You may not manage users" }).waitFor();
    expect(await executor.page.getByRole("button", { name: "Invite user" }).count()).toBe(0);
    await checkPage(executor.page, "users-refused-executor");
    await executor.page.goto(`${s.base}/admin/plugins`);
    await executor.page.getByRole("heading", { name: "You may not manage plugins" }).waitFor();
    expect(
      await Promise.all([
        fromPage(executor.page, "GET", "/api/v1/users"),
        fromPage(executor.page, "POST", "/api/v1/users", { email: "x@example.com", role: "executor" }),
        fromPage(executor.page, "PATCH", `/api/v1/users/${invited!.id}`, { role: "admin" }),
        fromPage(executor.page, "POST", `/api/v1/users/${invited!.id}/permissions`, {
          action: "users:admin",
        }),
        fromPage(executor.page, "POST", "/api/v1/auth/permissions/simulate", {
          userId: invited!.id,
          action: "users:admin",
        }),
        fromPage(executor.page, "GET", `/api/v1/users/${invited!.id}/access`),
        fromPage(executor.page, "GET", "/api/v1/plugins"),
        fromPage(executor.page, "PATCH", "/api/v1/plugins/http", { approvedHosts: ["example.com"] }),
        fromPage(executor.page, "GET", "/api/v1/tokens?all=true"),
        fromPage(executor.page, "POST", "/api/v1/tokens", { name: "denied" }),
      ]),
    ).toEqual([403, 403, 403, 403, 403, 403, 403, 403, 403, 403]);
    // their own tokens page: listed (self-service), but creating one is not offered (denied by the override)
    await executor.page.goto(`${s.base}/admin/tokens`);
    await heading(executor.page, "API tokens").waitFor();
    await executor.page.getByRole("heading", { name: "No API tokens yet" }).waitFor();
    expect(await executor.page.getByRole("link", { name: "How API tokens work" }).getAttribute("href")).toBe(
      "/admin/help#tokens",
    );
    await checkPage(executor.page, "tokens-empty-executor");
    expect(await executor.page.getByRole("button", { name: /Create/ }).count()).toBe(0);

    // remove the pipeline grant: takes effect on the next request
    await page.getByRole("button", { name: /^Remove grant: Run pipelines/ }).click();
    const remove = page.getByRole("dialog", { name: "Remove this grant?" });
    await checkPage(page, "user-remove-grant");
    await remove.getByRole("button", { name: "Remove" }).click();
    await toastSays(page, "Removed: Run pipelines — pipeline “nightly”.");
    expect(await statusOf(self.startPipelineRun({ params: { name: "nightly" }, body: {} }))).toBe(403);

    // the role changes, then the user is disabled: their session stops at once
    await page.getByRole("button", { name: "Change role" }).click();
    const role = page.getByRole("dialog", { name: `Change the role of ${executorEmail}` });
    await role.getByLabel("Role", { exact: true }).selectOption("admin");
    await checkPage(page, "user-role");
    await role.getByRole("button", { name: "Change role" }).click();
    await toastSays(page, `${executorEmail} is admin.`);
    expect((await api.getUser({ params: { id: invited!.id } })).role).toBe("admin");
    await page.getByRole("button", { name: "Disable user" }).click();
    const disable = page.getByRole("dialog", { name: `Disable ${executorEmail}?` });
    await checkPage(page, "user-disable");
    await disable.getByRole("button", { name: "Disable user" }).click();
    await toastSays(page, `${executorEmail} is disabled.`);
    expect((await api.getUser({ params: { id: invited!.id } })).active).toBe(false);
    expect(await statusOf(self.getMe())).toBe(401);
    const off = page.getByRole("table", { name: `Effective permissions of ${executorEmail}` });
    await eventually(() => off.getByText("the user is deactivated").count()).toBe(13);

    // the only owner cannot lock themselves out: the server's refusal is shown as it says it
    await page.getByRole("link", { name: "← Users" }).click();
    await heading(page, "Users").waitFor();
    await page.getByRole("button", { name: `Disable ${OWNER_EMAIL}` }).click();
    const selfOff = page.getByRole("dialog", { name: `Disable ${OWNER_EMAIL}?` });
    await selfOff.getByText("This is your own account").waitFor();
    await selfOff.getByRole("button", { name: "Disable user" }).click();
    await selfOff.getByRole("alert").getByText("At least one active owner must remain").waitFor();
    await checkPage(page, "users-last-owner");
    await page.keyboard.press("Escape");
    const me = (await api.listUsers()).items.find((u) => u.email === OWNER_EMAIL);
    expect(me?.active).toBe(true);
    await page.getByRole("button", { name: `Change role of ${OWNER_EMAIL}` }).click();
    const selfRole = page.getByRole("dialog", { name: `Change the role of ${OWNER_EMAIL}` });
    await selfRole.getByLabel("Role", { exact: true }).selectOption("admin");
    await selfRole.getByText("This is your own account").waitFor();
    await selfRole.getByRole("button", { name: "Change role" }).click();
    await selfRole.getByRole("alert").getByText("At least one active owner must remain").waitFor();
    await page.keyboard.press("Escape");
    expect((await api.getUser({ params: { id: me!.id } })).role).toBe("owner");

    expect([...foreign, ...executor.foreign]).toEqual([]);
    expect([...errors, ...executor.errors]).toEqual([]);
  });

  it("creates a narrow token shown once, which works within its scopes; rotates and revokes it", {
    timeout: 240_000,
  }, async () => {
    const api = s.client();
    const { page, foreign, errors } = await owner("/tokens");
    await heading(page, "API tokens").waitFor();
    // the owner's bootstrap token is there from the start
    await page
      .getByRole("table", { name: "API tokens" })
      .locator("strong", { hasText: "bootstrap" })
      .waitFor();
    expect(await page.getByRole("button", { name: "Create token" }).getAttribute("data-shortcut")).toBe(
      "new",
    );
    expect(await page.getByLabel("Filter tokens").getAttribute("data-shortcut")).toBe("search");

    await page.getByRole("button", { name: "Create token" }).click();
    const create = page.getByRole("dialog", { name: "Create an API token" });
    await create.getByRole("button", { name: "Create token" }).click();
    await create.getByText("Name the token after what uses it").waitFor();
    await create.getByText("Choose at least one thing the token may do.").waitFor();
    expect(await hasFocus(create.getByLabel("Name"))).toBe(true);
    await checkPage(page, "token-create-error");
    await create.getByLabel("Name").fill("Backup script");
    await create.getByRole("checkbox", { name: /See bundles/ }).check();
    await create.getByLabel("Expires after").selectOption({ label: "30 days" });
    await checkPage(page, "token-create");
    await create.getByRole("button", { name: "Create token" }).click();

    // shown once, with the warning; gone from the page when the dialog closes
    const shown = page.getByRole("dialog", { name: "Token “Backup script” created" });
    await shown.getByText("Copy it now: you will not see this again.").waitFor();
    const token = await shown.getByLabel("API token").inputValue();
    expect(token).toMatch(/^lf_/);
    await checkPage(page, "token-secret");
    await shown.getByRole("button", { name: "I have copied it" }).click();
    await shown.waitFor({ state: "hidden" });
    expect(await page.content()).not.toContain(token);
    const table = page.getByRole("table", { name: "API tokens" });
    const row = table.getByRole("row").filter({ hasText: "Backup script" });
    await row.getByText("Active").waitFor();
    expect(await row.textContent()).toContain("bundles:read");
    const [info] = (await api.listTokens()).items.filter((t) => t.name === "Backup script");
    expect(info).toMatchObject({ scopes: ["bundles:read"], lastUsedAt: null, revokedAt: null });
    const days = (Date.parse(info!.expiresAt!) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);

    // within its scope it works; outside, it is refused — users, plugins and tokens alike
    const narrow = s.client(token);
    expect((await narrow.listBundles()).items).toBeDefined();
    for (const call of [
      () => narrow.listUsers(),
      () => narrow.listPlugins(),
      () => narrow.listTokens(),
      () => narrow.createBundle({ body: { name: "x" } }),
    ]) {
      expect(await statusOf(call())).toBe(403);
    }
    await page.reload();
    await eventually(() => row.textContent()).not.toContain("Never");
    await checkPage(page, "tokens");

    // rotate: a new secret shown once; the old one refused, the new one works
    await page.getByRole("button", { name: "Rotate Backup script" }).click();
    const rotate = page.getByRole("dialog", { name: "Rotate “Backup script”?" });
    await checkPage(page, "token-rotate");
    await rotate.getByRole("button", { name: "Rotate token" }).click();
    const again = page.getByRole("dialog", { name: "New secret for “Backup script”" });
    await again.getByText("you will not see this again").waitFor();
    const rotated = await again.getByLabel("API token").inputValue();
    expect(rotated).not.toBe(token);
    await again.getByRole("button", { name: "I have copied it" }).click();
    expect(await statusOf(s.client(token).listBundles())).toBe(401);
    expect(await statusOf(s.client(rotated).listBundles())).toBe(200);

    // revoke, after a confirmation (Cancel first: nothing happens)
    await page.getByRole("button", { name: "Revoke Backup script" }).click();
    const revoke = page.getByRole("dialog", { name: "Revoke “Backup script”?" });
    await revoke.getByRole("button", { name: "Cancel" }).click();
    expect(await statusOf(s.client(rotated).listBundles())).toBe(200);
    await page.getByRole("button", { name: "Revoke Backup script" }).click();
    await checkPage(page, "token-revoke");
    await revoke.getByRole("button", { name: "Revoke token" }).click();
    await toastSays(page, "Revoked “Backup script”. It no longer works.");
    await row.getByText("Revoked").waitFor();
    expect(await statusOf(s.client(rotated).listBundles())).toBe(401);
    expect(await row.getByRole("button").count()).toBe(0);
    await checkPage(page, "tokens-revoked");
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("installs a plugin from its package file; capabilities, host approvals and a write-only secret; uninstalls it", {
    timeout: 300_000,
  }, async () => {
    const api = s.client();
    const packed = await packWeather();
    const { page, foreign, errors } = await owner("/plugins");
    const bodies: string[] = [];
    page.on("response", (r) => {
      if (r.url().includes("/api/"))
        void r.text().then(
          (t) => bodies.push(t),
          () => {},
        );
    });
    await heading(page, "Plugins").waitFor();
    await page.getByRole("heading", { name: "No plugins installed yet" }).waitFor();
    const table = page.getByRole("table", { name: "Plugins" });
    await table.getByRole("link", { name: "latchflow-http" }).waitFor();
    expect(await page.getByRole("button", { name: "Install plugin" }).getAttribute("data-shortcut")).toBe(
      "new",
    );
    expect(await page.getByLabel("Filter plugins").getAttribute("data-shortcut")).toBe("search");
    await checkPage(page, "plugins-none-installed");

    await page.getByRole("button", { name: "Install plugin" }).click();
    const install = page.getByRole("dialog", { name: "Install a plugin" });
    await install.getByRole("button", { name: "Install" }).click();
    await install.getByText("Choose the package file (.tgz) to install.").waitFor();
    await checkPage(page, "plugin-install-error");
    await install.getByLabel("Package file", { exact: true }).setInputFiles(packed.file);
    await install.getByLabel("Integrity (optional)").fill(packed.integrity);
    await install.getByRole("button", { name: "Install" }).click();
    await heading(page, "latchflow-plugin-weather 1.0.0").waitFor();
    await toastSays(page, "Installed latchflow-plugin-weather 1.0.0. Its capabilities start disabled.");
    const name = "latchflow-plugin-weather";
    expect(await api.getPlugin({ params: { name } })).toMatchObject({
      source: "tarball",
      integrity: packed.integrity,
      capabilities: [
        { uses: "latchflow-plugin-weather/forecast@1", enabled: false },
        { uses: "latchflow-plugin-weather/alert@1", enabled: false },
      ],
      approvedHosts: [],
    });
    await page.getByText(packed.integrity).waitFor();
    await page.getByText("asks the weather service for forecasts").waitFor();
    await checkPage(page, "plugin-installed");

    // capabilities: enable one, then disable it again
    const caps = page.getByRole("list", { name: "Capabilities" });
    await caps.getByRole("button", { name: "Enable latchflow-plugin-weather/forecast@1" }).click();
    await toastSays(page, "latchflow-plugin-weather/forecast@1 is enabled.");
    await caps.getByRole("button", { name: "Disable latchflow-plugin-weather/forecast@1" }).waitFor();
    const enabled = async () =>
      (await api.getPlugin({ params: { name } })).capabilities.filter((c) => c.enabled).map((c) => c.uses);
    expect(await enabled()).toEqual(["latchflow-plugin-weather/forecast@1"]);
    await caps.getByRole("button", { name: "Disable latchflow-plugin-weather/forecast@1" }).click();
    await caps.getByRole("button", { name: "Enable latchflow-plugin-weather/forecast@1" }).waitFor();
    expect(await enabled()).toEqual([]);
    await caps.getByRole("button", { name: "Enable latchflow-plugin-weather/alert@1" }).click();
    await caps.getByRole("button", { name: "Disable latchflow-plugin-weather/alert@1" }).waitFor();
    expect(await enabled()).toEqual(["latchflow-plugin-weather/alert@1"]);

    // hosts: approve the one asked for by name, one under the pattern; a URL is refused as the server says
    const asked = page.getByRole("list", { name: "Hosts it asks for" });
    await asked.getByRole("button", { name: "Approve api.weather.example" }).click();
    await asked.getByRole("button", { name: "Revoke api.weather.example" }).waitFor();
    const hostField = page.getByLabel("Approve a host by name");
    await hostField.fill("https://eu.tiles.example/x");
    await page.getByRole("button", { name: "Approve host" }).click();
    await eventually(() => hostField.getAttribute("aria-invalid")).toBe("true");
    await page.getByText("Only concrete hosts the manifest asks for can be approved").waitFor();
    await checkPage(page, "plugin-host-error");
    await hostField.fill("eu.tiles.example");
    await page.getByRole("button", { name: "Approve host" }).click();
    await page
      .getByRole("list", { name: "Other approved hosts" })
      .getByRole("button", { name: "Revoke eu.tiles.example" })
      .waitFor();
    expect((await api.getPlugin({ params: { name } })).approvedHosts).toEqual([
      "api.weather.example",
      "eu.tiles.example",
    ]);
    await asked.getByRole("button", { name: "Revoke api.weather.example" }).click();
    await asked.getByRole("button", { name: "Approve api.weather.example" }).waitFor();
    expect((await api.getPlugin({ params: { name } })).approvedHosts).toEqual(["eu.tiles.example"]);

    // a secret: written, listed by name, never shown nor returned
    const value = `wx-key-${dialect}-7f3a9c1e`;
    const form = page.getByRole("form", { name: "Set a secret" });
    await form.getByRole("button", { name: "Save secret" }).click();
    await form.getByText("Start with a letter").waitFor();
    await form.getByLabel("Name").fill("API_KEY");
    await form.getByLabel("Value").fill(value);
    expect(await form.getByLabel("Value").getAttribute("type")).toBe("password");
    await form.getByRole("button", { name: "Save secret" }).click();
    await toastSays(page, "Secret API_KEY saved.");
    const secrets = page.getByRole("list", { name: "Secrets" });
    await secrets.locator("code", { hasText: "API_KEY" }).waitFor();
    expect(await form.getByLabel("Value").inputValue()).toBe("");
    await checkPage(page, "plugin-secrets");
    // replaced, then listed once still
    await secrets.getByRole("button", { name: "Replace API_KEY" }).click();
    expect(await form.getByLabel("Name").inputValue()).toBe("API_KEY");
    await form.getByLabel("Value").fill(`${value}-2`);
    await form.getByRole("button", { name: "Save secret" }).click();
    await toastSays(page, "Secret API_KEY saved.");
    expect((await api.listPluginSecrets({ params: { name } })).items.map((x) => x.name)).toEqual(["API_KEY"]);
    await page.reload();
    await heading(page, "latchflow-plugin-weather 1.0.0").waitFor();
    expect(await page.content()).not.toContain(value);
    const answers = [
      JSON.stringify(await api.getPlugin({ params: { name } })),
      JSON.stringify(await api.listPlugins()),
      JSON.stringify(await api.listPluginSecrets({ params: { name } })),
      JSON.stringify(await api.listAuditRecords({ query: { limit: 200 } })),
    ];
    expect([...answers, ...bodies].filter((b) => b.includes(value))).toEqual([]);
    // deleted after a confirmation
    await secrets.getByRole("button", { name: "Delete API_KEY" }).click();
    await page
      .getByRole("dialog", { name: "Delete the secret API_KEY?" })
      .getByRole("button", { name: "Delete secret" })
      .click();
    await page.getByText("No secrets set.").waitFor();
    expect((await api.listPluginSecrets({ params: { name } })).items).toEqual([]);

    // uninstall, after a confirmation
    await page.getByRole("button", { name: "Uninstall" }).click();
    const uninstall = page.getByRole("dialog", { name: `Uninstall ${name}?` });
    await checkPage(page, "plugin-uninstall");
    await uninstall.getByRole("button", { name: "Uninstall plugin" }).click();
    await heading(page, "Plugins").waitFor();
    await toastSays(page, `Uninstalled ${name}; its secrets are deleted.`);
    expect(await statusOf(api.getPlugin({ params: { name } }))).toBe(404);
    await page.getByRole("heading", { name: "No plugins installed yet" }).waitFor();
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });
});

/** A fake npm registry serving one package version (the plugin's tarball with its integrity). */
async function fakeRegistry(tarball: Buffer, integrity: string) {
  let base = "";
  const server: Server = createServer((req, res) => {
    if (req.url === "/latchflow-plugin-weather") {
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          name: "latchflow-plugin-weather",
          "dist-tags": { latest: "1.0.0" },
          versions: { "1.0.0": { dist: { tarball: `${base}/weather-1.0.0.tgz`, integrity } } },
        }),
      );
    } else if (req.url === "/weather-1.0.0.tgz") {
      res.end(tarball);
    } else {
      res.statusCode = 404;
      res.end("{}");
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("users, tokens and plugins: refusals and the registry (sqlite + in-process)", () => {
  let s: Stack;
  let registry: Awaited<ReturnType<typeof fakeRegistry>>;
  let packed: Awaited<ReturnType<typeof packWeather>>;
  const browsers = people();
  const open = () => browsers.open(s.base);

  beforeAll(async () => {
    packed = await packWeather();
    registry = await fakeRegistry(readFileSync(packed.file), packed.integrity);
    s = await startAdminStack("admusers_more", MODES[0], { LATCHFLOW_PLUGIN_REGISTRY: registry.base });
    await browsers.start();
  });
  afterAll(async () => {
    await browsers.stop();
    await s?.stop();
    await registry?.close();
  });

  it("an admin invites executors only, and a token beyond their credential is refused with the server's reason", {
    timeout: 180_000,
  }, async () => {
    const api = s.client();
    const admin = await api.inviteUser({ body: { email: "admin@example.com", role: "admin" } });
    const { page, foreign, errors } = await open();
    await page.goto(`${s.base}/admin/users`);
    await signInByLink(page, s, admin.email);
    await heading(page, "Users").waitFor();
    // the "n" shortcut opens the invitation; only the executor role is offered to an admin
    await page.locator("main h1").click();
    await page.keyboard.press("n");
    const invite = page.getByRole("dialog", { name: "Invite a user" });
    await invite.waitFor();
    expect(await invite.getByLabel("Role", { exact: true }).locator("option").allTextContents()).toEqual([
      "Executor",
    ]);
    await page.keyboard.press("Escape");
    // the owner is listed, but an admin is not offered to change them
    expect(await page.getByRole("button", { name: `Change role of ${OWNER_EMAIL}` }).count()).toBe(0);

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tokens" }).click();
    await heading(page, "API tokens").waitFor();
    await page.getByRole("button", { name: "Create token" }).click();
    const create = page.getByRole("dialog", { name: "Create an API token" });
    await create.getByLabel("Name").fill("Plugin deployer");
    await create.getByRole("checkbox", { name: /Install and configure plugins/ }).check();
    // meanwhile an owner makes them an executor: the page still offers plugins:admin, the server refuses it
    await api.updateUser({ params: { id: admin.id }, body: { role: "executor" } });
    await create.getByRole("button", { name: "Create token" }).click();
    await create.getByText("The executor role cannot hold: plugins:admin").waitFor();
    const first = create.getByRole("checkbox").first();
    await eventually(() => first.getAttribute("aria-invalid")).toBe("true");
    await checkPage(page, "token-beyond-ceiling");
    expect((await api.listTokens({ query: { all: "true" } })).items.map((t) => t.name)).not.toContain(
      "Plugin deployer",
    );
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("installs from the npm registry by name and version, and says why a package is refused or cannot go", {
    timeout: 240_000,
  }, async () => {
    const api = s.client();
    const { page, foreign, errors } = await open();
    await page.goto(`${s.base}/admin/plugins`);
    await signInByLink(page, s, OWNER_EMAIL);
    await heading(page, "Plugins").waitFor();
    await page.getByRole("button", { name: "Install plugin" }).click();
    const install = page.getByRole("dialog", { name: "Install a plugin" });
    const file = install.getByLabel("Package file", { exact: true });

    // not a package, then the right package with the wrong integrity: said at the file field
    await file.setInputFiles({
      name: "notes.tgz",
      mimeType: "application/gzip",
      buffer: Buffer.from("not a tarball"),
    });
    await install.getByRole("button", { name: "Install" }).click();
    await install.getByText(/^Not a plugin package:/).waitFor();
    await eventually(() => file.getAttribute("aria-invalid")).toBe("true");
    await file.setInputFiles(packed.file);
    await install.getByLabel("Integrity (optional)").fill(`sha512-${"A".repeat(86)}==`);
    await install.getByRole("button", { name: "Install" }).click();
    await install.getByText("The package does not match the integrity given").waitFor();
    await checkPage(page, "plugin-install-integrity");
    expect((await api.listPlugins()).items.some((p) => p.source !== "builtin")).toBe(false);

    // the registry: an unknown version, then the right one
    await install.getByRole("radio", { name: "The npm registry" }).check();
    await install.getByLabel("Package name").fill("latchflow-plugin-weather");
    await install.getByLabel("Version (optional)").fill("9.9.9");
    await install.getByRole("button", { name: "Install" }).click();
    await install.getByText("The registry has no such package or version.").waitFor();
    await checkPage(page, "plugin-install-registry-error");
    await install.getByLabel("Version (optional)").fill("1.0.0");
    await install.getByRole("button", { name: "Install" }).click();
    await heading(page, "latchflow-plugin-weather 1.0.0").waitFor();
    await page.getByText("npm registry").waitFor();
    expect(await api.getPlugin({ params: { name: "latchflow-plugin-weather" } })).toMatchObject({
      source: "registry",
      integrity: packed.integrity,
    });

    // a pipeline uses it: uninstalling is refused, naming the pipeline
    const caps = page.getByRole("list", { name: "Capabilities" });
    await caps.getByRole("button", { name: "Enable latchflow-plugin-weather/forecast@1" }).click();
    await caps.getByRole("button", { name: "Disable latchflow-plugin-weather/forecast@1" }).waitFor();
    // the same package again is an upgrade: what stayed enabled is said
    await page.getByRole("link", { name: "← Plugins" }).click();
    await heading(page, "Plugins").waitFor();
    await page.getByRole("button", { name: "Install plugin" }).click();
    await install.getByLabel("Package file", { exact: true }).setInputFiles(packed.file);
    await install.getByRole("button", { name: "Install" }).click();
    await heading(page, "latchflow-plugin-weather 1.0.0").waitFor();
    await page
      .getByRole("status")
      .getByText(
        "Upgraded latchflow-plugin-weather from 1.0.0 to 1.0.0. Still enabled: latchflow-plugin-weather/forecast@1.",
      )
      .waitFor();
    await putPipeline(
      s,
      "weather-report",
      `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: weather-report }
spec:
  triggers:
    - { id: go, uses: manual@1 }
  steps:
    - { id: ask, uses: latchflow-plugin-weather/forecast@1, with: { city: Oslo } }
`,
    );
    // disabling what an enabled pipeline uses asks first; "Disable anyway" forces it and says what will fail
    await caps.getByRole("button", { name: "Disable latchflow-plugin-weather/forecast@1" }).click();
    const inUse = page.getByRole("dialog", { name: "Disable latchflow-plugin-weather/forecast@1?" });
    await inUse.getByText("Enabled pipelines use it: weather-report.").waitFor();
    await checkPage(page, "plugin-disable-in-use");
    await inUse.getByRole("button", { name: "Keep it enabled" }).click();
    await inUse.waitFor({ state: "hidden" });
    const forecast = async () =>
      (await api.getPlugin({ params: { name: "latchflow-plugin-weather" } })).capabilities.find(
        (c) => c.uses === "latchflow-plugin-weather/forecast@1",
      )?.enabled;
    expect(await forecast()).toBe(true);
    await caps.getByRole("button", { name: "Disable latchflow-plugin-weather/forecast@1" }).click();
    await inUse.getByRole("button", { name: "Disable anyway" }).click();
    await page
      .getByRole("status")
      .getByText("Runs of weather-report will fail until it is enabled again.", { exact: false })
      .waitFor();
    expect(await forecast()).toBe(false);

    await page.getByRole("button", { name: "Uninstall" }).click();
    const uninstall = page.getByRole("dialog", { name: "Uninstall latchflow-plugin-weather?" });
    await uninstall.getByRole("button", { name: "Uninstall plugin" }).click();
    await uninstall.getByText("Pipelines still use it: weather-report. Change them first.").waitFor();
    await checkPage(page, "plugin-uninstall-refused");
    await uninstall.getByRole("button", { name: "Keep it" }).click();
    expect((await api.getPlugin({ params: { name: "latchflow-plugin-weather" } })).version).toBe("1.0.0");

    // a built-in: no uninstall, capabilities always on, its hosts approvable
    await page.goto(`${s.base}/admin/plugins/latchflow-http`);
    await heading(page, "latchflow-http 1.0.0").waitFor();
    expect(await page.getByRole("button", { name: "Uninstall" }).count()).toBe(0);
    await page.getByText("Built-in capabilities are always on.").waitFor();
    await page.getByLabel("Approve a host by name").fill("hooks.example.com");
    await page.getByRole("button", { name: "Approve host" }).click();
    await page.getByRole("button", { name: "Revoke hooks.example.com" }).waitFor();
    expect((await api.getPlugin({ params: { name: "http" } })).approvedHosts).toEqual(["hooks.example.com"]);
    await checkPage(page, "plugin-builtin");
    // no such plugin: the app's "not found"
    await page.goto(`${s.base}/admin/plugins/no-such-plugin`);
    await heading(page, "Page not found").waitFor();
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });
});
