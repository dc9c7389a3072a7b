// The admin app in a browser (ADR 027): sign-in through the emailed link, bundles created, edited, disabled and
// deleted through the pages, sessions signed out, an executor offered only what it may use, and the CLI's device
// sign-in approved on /admin/device. axe on every page and state; screenshots in light and dark at 1280 px.
import { isApiError } from "@latchflow/api/client";
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
import { Operator, waitFor } from "../cli/helpers.js";
import { adminLinkIn, MODES, OWNER_EMAIL, type Stack } from "../stack.js";
import { checkPage, signInByLink, startAdminStack } from "./browser.js";

describe.each(MODES)("admin app on %s + %s", (dialect, bus) => {
  let s: Stack;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const operators: Operator[] = [];
  /** a person's browser (its own cookies) at 1280 px, recording what the page may not do */
  const open = async () => {
    const context = await newContext(browser);
    contexts.push(context);
    const page = await context.newPage();
    return { page, foreign: recordForeignRequests(page, s.base), errors: recordPageErrors(page) };
  };
  const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name });

  beforeAll(async () => {
    s = await startAdminStack("admin", [dialect, bus]);
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await s?.stop();
    for (const op of operators) op.remove();
  });

  it("signs in through the emailed link and manages bundles through the pages", {
    timeout: 240_000,
  }, async () => {
    const { page, foreign, errors } = await open();
    await page.goto(`${s.base}/admin/bundles`);
    // no session: the sign-in page, which will come back to the page asked for
    await heading(page, "Sign in").waitFor();
    expect(new URL(page.url()).pathname).toBe("/admin/sign-in");
    await checkPage(page, "sign-in");

    // a wrong address: the error is tied to the field and focused
    await page.getByLabel("Email address").fill("not-an-address");
    await page.getByRole("button", { name: "Email me a sign-in link" }).click();
    const field = page.getByLabel("Email address");
    await eventually(() => field.getAttribute("aria-invalid")).toBe("true");
    const described = (await field.getAttribute("aria-describedby")) ?? "";
    expect(await page.locator(`[id="${described}"]`).textContent()).toContain("Enter the email address");
    expect(await hasFocus(field)).toBe(true);
    await checkPage(page, "sign-in-error");

    const before = s.mail.to(OWNER_EMAIL).length;
    await field.fill(OWNER_EMAIL);
    await page.getByRole("button", { name: "Email me a sign-in link" }).click();
    await heading(page, "Check your email").waitFor();
    await checkPage(page, "sign-in-sent");
    const mail = await s.mail.waitFor(OWNER_EMAIL, () => s.mail.to(OWNER_EMAIL).length > before);
    const link = adminLinkIn(mail.text);
    // the mail links to the admin app's page that completes the sign-in, and back to the page asked for
    expect(link.startsWith(`${s.base}/admin/sign-in/link?token=`)).toBe(true);
    await page.goto(link);
    await heading(page, "Bundles").waitFor();
    expect(new URL(page.url()).pathname).toBe("/admin/bundles");
    // the token left the address bar and the history
    expect(page.url()).not.toContain("token=");

    // the shell: the owner is offered every page that exists
    const nav = page.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link").allTextContents()).toEqual([
      "Dashboard",
      "Files",
      "Bundles",
      "Recipients",
      "Pipelines",
      "Runs",
      "Audit",
      "Users",
      "Tokens",
      "Plugins",
      "Sessions",
    ]);
    await eventually(() => nav.getByRole("link", { name: "Bundles" }).getAttribute("aria-current")).toBe(
      "page",
    );

    // nothing yet: the empty state says what to do first
    await page.getByRole("heading", { name: "No bundles yet" }).waitFor();
    await checkPage(page, "bundles-empty");

    // create: the dialog opens on its first field, Escape closes it and focus returns to the opener
    const createFirst = page.getByRole("button", { name: "Create your first bundle" });
    await createFirst.click();
    const dialog = page.getByRole("dialog", { name: "New bundle" });
    await dialog.waitFor();
    await eventually(() => hasFocus(dialog.getByLabel("Name"))).toBe(true);
    await page.keyboard.press("Escape");
    await eventually(() => dialog.isVisible()).toBe(false);
    expect(await hasFocus(createFirst)).toBe(true);

    await createFirst.click();
    await dialog.getByRole("button", { name: "Create bundle" }).click();
    await dialog.getByText("Give the bundle a name.").waitFor();
    await checkPage(page, "bundle-create-error");
    await dialog.getByLabel("Name").fill("Family archive");
    await dialog.getByLabel("Description (optional)").fill("Photos and letters");
    await checkPage(page, "bundle-create");
    await dialog.getByRole("button", { name: "Create bundle" }).click();
    await page.getByRole("status").getByText("Created “Family archive”.").waitFor();
    const table = page.getByRole("table", { name: "Bundles" });
    await table.getByText("Photos and letters").waitFor();
    const owner = s.client();
    const [created] = (await owner.listBundles()).items;
    expect(created).toMatchObject({
      name: "Family archive",
      description: "Photos and letters",
      enabled: true,
    });
    await checkPage(page, "bundles");

    // a name taken: the server's refusal shown at the field
    await page.getByRole("button", { name: "New bundle" }).click();
    const again = page.getByRole("dialog", { name: "New bundle" });
    await again.getByLabel("Name").fill("Family archive");
    await again.getByRole("button", { name: "Create bundle" }).click();
    await again.getByText("Another bundle already has this name").waitFor();
    await page.keyboard.press("Escape");

    // edit: rename and describe
    await page.getByRole("button", { name: "Edit Family archive" }).click();
    const edit = page.getByRole("dialog", { name: "Edit “Family archive”" });
    await eventually(() => edit.getByLabel("Name").inputValue()).toBe("Family archive");
    await edit.getByLabel("Name").fill("Family archive 2026");
    await edit.getByLabel("Description (optional)").fill("For the children");
    await edit.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("status").getByText("Saved “Family archive 2026”.").waitFor();
    await eventually(async () => (await owner.getBundle({ params: { id: created!.id } })).name).toBe(
      "Family archive 2026",
    );
    expect((await owner.getBundle({ params: { id: created!.id } })).description).toBe("For the children");

    // disable, then enable again
    await page.getByRole("button", { name: "Disable Family archive 2026" }).click();
    await table.getByText("Disabled").waitFor();
    expect((await owner.getBundle({ params: { id: created!.id } })).enabled).toBe(false);
    await checkPage(page, "bundles-disabled");
    await page.getByRole("button", { name: "Enable Family archive 2026" }).click();
    await table.getByText("Enabled").waitFor();
    expect((await owner.getBundle({ params: { id: created!.id } })).enabled).toBe(true);

    // delete, after a confirmation ("Keep it" first: nothing happens)
    await page.getByRole("button", { name: "Delete Family archive 2026" }).click();
    const confirm = page.getByRole("dialog", { name: "Delete “Family archive 2026”?" });
    await confirm.waitFor();
    await checkPage(page, "bundle-delete");
    await confirm.getByRole("button", { name: "Keep it" }).click();
    await eventually(() => confirm.isVisible()).toBe(false);
    expect((await owner.getBundle({ params: { id: created!.id } })).id).toBe(created!.id);
    await page.getByRole("button", { name: "Delete Family archive 2026" }).click();
    await confirm.getByRole("button", { name: "Delete bundle" }).click();
    await page.getByRole("status").getByText("Deleted “Family archive 2026”.").waitFor();
    await page.getByRole("heading", { name: "No bundles yet" }).waitFor();
    const gone = await owner.getBundle({ params: { id: created!.id } }).catch((e: unknown) => e);
    expect(isApiError(gone) && gone.status).toBe(404);

    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("lists sessions, signs another one out, then signs out everywhere", { timeout: 180_000 }, async () => {
    const other = await s.signIn(OWNER_EMAIL); // another browser of the same person
    expect((await other.client().getMe()).email).toBe(OWNER_EMAIL);
    const { page, foreign, errors } = await open();
    await page.goto(`${s.base}/admin/sessions`);
    const used = await signInByLink(page, s, OWNER_EMAIL);
    await heading(page, "Sessions").waitFor();
    const table = page.getByRole("table", { name: "Your sessions" });
    await table.getByText("This browser", { exact: true }).waitFor();
    const listed = (await s.signIn(OWNER_EMAIL).then((b) => b.client().listSessions())).items;
    expect(listed.length).toBeGreaterThanOrEqual(3);
    await checkPage(page, "sessions");

    await page.getByRole("button", { name: "Sign out other sessions" }).click();
    const confirm = page.getByRole("dialog", { name: "Sign out other sessions?" });
    await checkPage(page, "sessions-confirm");
    await confirm.getByRole("button", { name: "Sign out others" }).click();
    await page
      .getByRole("status")
      .getByText(/Signed out \d+ other sessions?\./)
      .waitFor();
    // the other browser's session is gone; this one still works
    const refused = await other.client().raw.getMe();
    expect(refused.status).toBe(401);
    await eventually(() => table.getByRole("row").count()).toBe(2); // the header and this browser
    await checkPage(page, "sessions-alone");

    await page.getByRole("button", { name: "Sign out everywhere" }).click();
    await page
      .getByRole("dialog", { name: "Sign out everywhere?" })
      .getByRole("button", { name: "Sign out everywhere" })
      .click();
    await heading(page, "Sign in").waitFor();
    await page.goto(`${s.base}/admin/bundles`);
    await heading(page, "Sign in").waitFor();
    expect(new URL(page.url()).searchParams.get("next")).toBe("/admin/bundles");
    // a link works once: opened again, it says so and offers a new one
    await page.goto(used);
    await heading(page, "This link no longer works").waitFor();
    await checkPage(page, "sign-in-link-used");
    await page.getByRole("link", { name: "Email me a new link" }).click();
    await heading(page, "Sign in").waitFor();
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("offers an executor only what it may use, and the server still refuses the rest", {
    timeout: 180_000,
  }, async () => {
    const owner = s.client();
    const mine = await owner.createBundle({ body: { name: "Executor's bundle" } });
    await owner.createBundle({ body: { name: "Not for the executor" } });
    const email = `executor-${dialect}@example.com`;
    const user = await owner.inviteUser({ body: { email, role: "executor" } });
    await owner.grantPermission({
      params: { id: user.id },
      body: { action: "bundles:read", resourceType: "bundle", resourceId: mine.id },
    });

    const { page, foreign, errors } = await open();
    await page.goto(`${s.base}/admin/bundles`);
    await heading(page, "Sign in").waitFor();
    await signInByLink(page, s, email);
    await heading(page, "Bundles").waitFor();
    const nav = page.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link").allTextContents()).toEqual([
      "Dashboard",
      "Bundles",
      "Tokens",
      "Sessions",
    ]);
    const table = page.getByRole("table", { name: "Bundles" });
    await table.getByText("Executor's bundle").waitFor();
    expect(await table.getByText("Not for the executor").count()).toBe(0);
    // read-only: no way to create, edit, disable or delete is offered
    expect(await page.getByRole("button", { name: /New bundle|Edit|Disable|Delete/ }).count()).toBe(0);
    await checkPage(page, "bundles-executor");

    // the server refuses what the page does not offer, from the page with its session (cookie + CSRF header)
    const csrf = (await page.context().cookies()).find((c) => c.name === "lf_csrf")?.value ?? "";
    expect(csrf).not.toBe("");
    const statuses = await page.evaluate(
      async ({ id, csrf }) => {
        const call = (method: string, path: string, body?: unknown) =>
          fetch(path, {
            method,
            headers: { "content-type": "application/json", "x-csrf-token": decodeURIComponent(csrf) },
            ...(body ? { body: JSON.stringify(body) } : {}),
          }).then((r) => r.status);
        return [
          await call("POST", "/api/v1/bundles", { name: "sneaky" }),
          await call("PATCH", `/api/v1/bundles/${id}`, { enabled: false }),
          await call("DELETE", `/api/v1/bundles/${id}`),
          await call("GET", "/api/v1/users"),
        ];
      },
      { id: mine.id, csrf },
    );
    expect(statuses).toEqual([403, 403, 403, 403]);
    expect((await owner.getBundle({ params: { id: mine.id } })).enabled).toBe(true);

    // an executor with no bundle at all: the empty state says whom to ask
    const idle = `idle-executor-${dialect}@example.com`;
    await owner.inviteUser({ body: { email: idle, role: "executor" } });
    const second = await open();
    await second.page.goto(`${s.base}/admin/bundles`);
    await signInByLink(second.page, s, idle);
    await second.page.getByRole("heading", { name: "No bundles shared with you" }).waitFor();
    expect(
      await second.page.getByRole("navigation", { name: "Main" }).getByRole("link").allTextContents(),
    ).toEqual(["Dashboard", "Tokens", "Sessions"]);
    await checkPage(second.page, "bundles-executor-empty");
    expect([...foreign, ...second.foreign]).toEqual([]);
    expect([...errors, ...second.errors]).toEqual([]);
  });

  it("approves the CLI's device sign-in on /admin/device, signing in on the way", {
    timeout: 240_000,
  }, async () => {
    const op = new Operator();
    operators.push(op);
    const login = op.start(["login", "--server", s.base, "--no-browser", "--json"]);
    const code = await waitFor(login.stderr, /^\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s*$/m);
    // the address the CLI prints, with the code: redirected to the admin app, which asks to sign in first
    const { page, foreign, errors } = await open();
    await page.goto(`${s.base}/device?user_code=${code}`);
    await heading(page, "Sign in").waitFor();
    expect(new URL(page.url()).searchParams.get("next")).toBe(`/admin/device?user_code=${code}`);
    await signInByLink(page, s, OWNER_EMAIL);
    await heading(page, "Approve a device?").waitFor();
    expect(new URL(page.url()).pathname).toBe("/admin/device");
    await page.getByText(code).waitFor();
    await page.getByText("latchflow-cli").waitFor();
    await checkPage(page, "device-approve");
    await page.getByRole("button", { name: "Approve" }).click();
    await heading(page, "Device approved").waitFor();
    await checkPage(page, "device-approved");
    expect(await login.exit, login.stderr()).toBe(0);
    expect(JSON.parse(login.stdout())).toMatchObject({ user: { email: OWNER_EMAIL, role: "owner" } });

    // a used or mistyped code: said so, with the form to enter another
    await page.goto(`${s.base}/admin/device?user_code=${code}`);
    await page.getByText("This code was already approved.").waitFor();
    await page.getByLabel("Code shown by the device").fill("nope");
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByText("Enter the 8-character code").waitFor();
    await page.getByLabel("Code shown by the device").fill("BCDF-GHJK");
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByText("This code is unknown or has expired.").waitFor();
    await checkPage(page, "device-unknown");
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe("admin app pieces (sqlite + in-process)", () => {
  let s: Stack;
  let browser: Browser;
  let context: BrowserContext;
  beforeAll(async () => {
    s = await startAdminStack("admin-ui");
    browser = await launchChromium();
  });
  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await s?.stop();
  });

  it("sorts and pages a long table, keeps Tab inside a dialog, and remembers the theme picked", {
    timeout: 180_000,
  }, async () => {
    const owner = s.client();
    for (let i = 1; i <= 12; i++) {
      await owner.createBundle({ body: { name: `Bundle ${String(i).padStart(2, "0")}` } });
    }
    context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${s.base}/admin/bundles`);
    await signInByLink(page, s, OWNER_EMAIL);
    const table = page.getByRole("table", { name: "Bundles" });
    const firstName = () => table.locator("tbody tr").first().locator("strong").textContent();
    await eventually(firstName).toBe("Bundle 01");
    expect(await table.locator("tbody tr").count()).toBe(10);
    const nameHeader = table.getByRole("columnheader", { name: "Name" });
    expect(await nameHeader.getAttribute("aria-sort")).toBe("ascending");

    // sort by name, descending (by keyboard)
    await table.getByRole("button", { name: "Name" }).focus();
    await page.keyboard.press("Enter");
    await eventually(firstName).toBe("Bundle 12");
    expect(await nameHeader.getAttribute("aria-sort")).toBe("descending");

    // the second page
    const pages = page.getByRole("navigation", { name: "Bundles: pages" });
    await pages.getByText("Page 1 of 2 · 12 bundles").waitFor();
    await pages.getByRole("button", { name: "Next page" }).click();
    await pages.getByText("Page 2 of 2 · 12 bundles").waitFor();
    expect(await table.locator("tbody tr").count()).toBe(2);
    await eventually(firstName).toBe("Bundle 02");
    await checkPage(page, "bundles-page-2");

    // Tab and Shift+Tab stay in the dialog
    await page.getByRole("button", { name: "New bundle" }).click();
    const dialog = page.getByRole("dialog", { name: "New bundle" });
    const name = dialog.getByLabel("Name");
    await eventually(() => hasFocus(name)).toBe(true);
    await page.keyboard.press("Shift+Tab");
    expect(await hasFocus(dialog.getByRole("button", { name: "Create bundle" }))).toBe(true);
    await page.keyboard.press("Tab");
    expect(await hasFocus(name)).toBe(true);
    await page.keyboard.press("Escape");

    // the theme follows the system until one is picked; the pick survives a reload
    const html = page.locator("html");
    const toggle = page.getByRole("button", { name: "Dark theme" });
    expect(await toggle.getAttribute("aria-pressed")).toBe("false");
    await toggle.click();
    expect(await html.getAttribute("data-theme")).toBe("dark");
    expect(await toggle.getAttribute("aria-pressed")).toBe("true");
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Bundles" }).waitFor();
    expect(await html.getAttribute("data-theme")).toBe("dark");
    const background = await page.evaluate("getComputedStyle(document.body).backgroundColor");
    expect(background).toBe("rgb(20, 22, 26)");
  });

  it("serves the app with a strict CSP and answers the shell for its pages", async () => {
    const res = await fetch(`${s.base}/admin/bundles`);
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'self' 'sha256-[^']+'/);
    expect(csp).not.toContain("unsafe-inline");
    expect((await fetch(`${s.base}/admin/_app/nope.js`)).status).toBe(404);
    const moved = await fetch(`${s.base}/admin`, { redirect: "manual" });
    expect(moved.headers.get("location")).toBe("/admin/");
  });
});
