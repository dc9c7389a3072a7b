// The admin app's Files page and a bundle's pages (Contents, Links): a folder dropped from the desktop uploaded
// with its structure, search, move, a deletion refused while a bundle uses the file (the bundle named), a bundle
// built (files added, reordered by keyboard and by drag, a path set) and its archive checked, a publish link
// created, copied and revoked; an executor offered only what it may do and refused the rest by the server.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isApiError } from "@latchflow/api/client";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, hasFocus, launchChromium } from "../browser.js";
import { upload } from "../files/helpers.js";
import { zipEntryHashes } from "../portal/browser.js";
import { MODES, OWNER_EMAIL, type Stack } from "../stack.js";
import { checkPage, heading, people, signInByLink, startAdminStack } from "./browser.js";

/**
 * What a describe block of this file runs on: one stack, one Chromium, a scratch folder, and pages opened as
 * different people (read `t.s`, `t.dir` inside the tests).
 */
function setUp(prefix: string, mode: (typeof MODES)[number]) {
  const state: { s?: Stack; browser?: Browser; dir?: string } = {};
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error(`${prefix}: used before beforeAll started it`);
    return value;
  };
  const t = {
    get s() {
      return started(state.s);
    },
    get dir() {
      return started(state.dir);
    },
  };
  const { open, closeAll } = people(
    () => started(state.browser),
    () => t.s.base,
  );
  beforeAll(async () => {
    state.s = await startAdminStack(prefix, mode);
    state.browser = await launchChromium();
    state.dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  });
  afterAll(async () => {
    await closeAll();
    await state.browser?.close();
    await state.s?.stop();
    if (state.dir) rmSync(state.dir, { recursive: true, force: true });
  });
  return { t, open };
}

/** A confirmation or state the page says in a live region (a toast, a count of results). */
const status = (page: Page, text: string | RegExp) => page.getByRole("status").getByText(text).first();

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

/** A folder on disk, as a person would drag it from their desktop: `holiday/…` with a nested subfolder. */
function folderOnDisk(root: string, tree: Record<string, string>): string {
  for (const [path, text] of Object.entries(tree)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/**
 * Drops files or folders from "the desktop" onto an element, through Chromium's own drag and drop (DevTools
 * Input.dispatchDragEvent with paths on disk): the page gets real entries, folders included.
 */
async function dropFromDesktop(page: Page, target: Locator, paths: string[]): Promise<void> {
  const box = await target.boundingBox();
  if (!box) throw new Error("drop target not visible");
  const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  const cdp = await page.context().newCDPSession(page);
  const data = { items: [], files: paths, dragOperationsMask: 1 };
  for (const type of ["dragEnter", "dragOver", "drop"] as const) {
    await cdp.send("Input.dispatchDragEvent", { type, ...at, data });
  }
  await cdp.detach();
}

/** The entries of a ZIP in their order, each with the sha256 of its content (python's zipfile reads it). */
function zipEntries(zip: Buffer, dir: string): [string, string][] {
  const path = join(dir, `archive-${Date.now()}.zip`);
  writeFileSync(path, zip);
  return Object.entries(zipEntryHashes(path));
}

describe.each(MODES)("admin files and bundles on %s + %s", (dialect, bus) => {
  /** A file's name in a table of files (the row's action buttons repeat it for screen readers). */
  const fileIn = (table: Locator, name: string) =>
    table.locator("strong", { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) });
  const { t, open } = setUp("adm_files", [dialect, bus]);

  it("uploads a dropped folder with its structure, searches, moves, and explains a refused deletion", {
    timeout: 300_000,
  }, async () => {
    const { s, dir } = t;
    const owner = s.client();
    const { page, foreign, errors } = await open();
    await page.goto(`${s.base}/admin/files`);
    await signInByLink(page, s, OWNER_EMAIL);
    await heading(page, "Files").waitFor();
    const nav = page.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link", { name: "Files" }).getAttribute("aria-current")).toBe("page");

    // nothing yet: what files are, where to read more, and how to upload
    await page.getByRole("heading", { name: "No files yet" }).waitFor();
    expect(await page.getByRole("link", { name: "How files and folders work" }).getAttribute("href")).toBe(
      "/admin/help#files",
    );
    await checkPage(page, "files-empty");

    // a folder dragged from the desktop: its files land under the current folder with their subfolders
    const tree = {
      "a.txt": "alpha\n",
      "2024/b.txt": "bravo bravo\n",
      "2024/notes/c.md": "# charlie\n",
    };
    const holiday = folderOnDisk(join(dir, dialect, "holiday"), tree);
    await dropFromDesktop(page, page.locator("main"), [holiday]);
    const uploads = page.getByRole("region", { name: "Uploads" });
    await uploads.getByRole("status").getByText("3 files uploaded.").waitFor();
    await checkPage(page, "files-upload-done");

    const stored = (await owner.listFiles({ query: { limit: 200 } })).items;
    const where = Object.fromEntries(stored.map((f) => [`${f.folder}/${f.name}`, f]));
    expect(Object.keys(where).sort()).toEqual([
      "/holiday/2024/b.txt",
      "/holiday/2024/notes/c.md",
      "/holiday/a.txt",
    ]);
    for (const [path, text] of Object.entries(tree)) {
      const file = where[`/holiday/${path}`]!;
      expect(file.sha256).toBe(sha256(text));
      const bytes = Buffer.from(await (await owner.downloadFile({ params: { id: file.id } })).arrayBuffer());
      expect(bytes.toString()).toBe(text);
    }

    // the folders: a link per folder with its count, a breadcrumb back up
    const folders = page.getByRole("list", { name: "Folders in All files" });
    await folders.getByRole("link", { name: /holiday\s+3 files/ }).click();
    await fileIn(page.getByRole("table", { name: "Files in “holiday”" }), "a.txt").waitFor();
    await page
      .getByRole("list", { name: "Folders in “holiday”" })
      .getByRole("link", { name: /2024/ })
      .click();
    const crumbs = page.getByRole("navigation", { name: "Folder" });
    await eventually(() => crumbs.getByRole("link").allTextContents()).toEqual([
      "All files",
      "holiday",
      "2024",
    ]);
    expect(await crumbs.getByRole("link", { name: "2024" }).getAttribute("aria-current")).toBe("page");
    const inFolder = page.getByRole("table", { name: "Files in “2024”" });
    await fileIn(inFolder, "b.txt").waitFor();
    expect(new URL(page.url()).searchParams.get("folder")).toBe("/holiday/2024");

    // the Upload files button: a file with a non-ASCII name, into the folder shown
    const chooser = page.waitForEvent("filechooser");
    await page.getByRole("button", { name: "Upload files" }).click();
    await (await chooser).setFiles([
      { name: "Grüße an Anna.txt", mimeType: "text/plain", buffer: Buffer.from("hallo") },
    ]);
    await fileIn(inFolder, "Grüße an Anna.txt").waitFor();
    await checkPage(page, "files-list");
    const greeting = (await owner.listFiles({ query: { q: "Grüße" } })).items;
    expect(greeting.map((f) => [f.folder, f.name, f.size])).toEqual([
      ["/holiday/2024", "Grüße an Anna.txt", 5],
    ]);

    // search, from the keyboard shortcut: every folder, with each file's folder
    await crumbs.getByRole("link", { name: "All files" }).click();
    await page.locator("main h1").click();
    await page.keyboard.press("/");
    const search = page.getByLabel("Search by name");
    expect(await hasFocus(search)).toBe(true);
    await page.keyboard.type("ANNA");
    await status(page, "1 file in all folders matches “ANNA”.").waitFor();
    const found = page.getByRole("table", { name: "Files found" });
    await found.getByRole("link", { name: "/holiday/2024" }).waitFor();
    await checkPage(page, "files-search");
    await search.fill("nothing like this");
    await status(page, "No file name contains “nothing like this”.").waitFor();
    await search.fill("b.txt");

    // move and rename: a bad folder is refused at the field, then the file moves
    await found.getByRole("button", { name: "Move b.txt" }).click();
    const move = page.getByRole("dialog", { name: "Move or rename “b.txt”" });
    await eventually(() => move.getByLabel("Folder").inputValue()).toBe("/holiday/2024");
    await move.getByLabel("Folder").fill("/archive/../etc");
    await move.getByRole("button", { name: "Save", exact: true }).click();
    const folderField = move.getByLabel("Folder");
    await eventually(() => folderField.getAttribute("aria-invalid")).toBe("true");
    expect(await hasFocus(folderField)).toBe(true);
    await move.getByText("A folder cannot contain “.” or “..” as a name.").waitFor();
    await checkPage(page, "files-move-dialog");
    await folderField.fill("/archive/2024");
    await move.getByLabel("Name").fill("bravo.txt");
    await move.getByRole("button", { name: "Save", exact: true }).click();
    await status(page, "Renamed “b.txt” to “bravo.txt” and moved it to /archive/2024.").waitFor();
    const b = where["/holiday/2024/b.txt"]!;
    expect(await owner.getFile({ params: { id: b.id } })).toMatchObject({
      name: "bravo.txt",
      folder: "/archive/2024",
    });

    // a file a bundle uses is not deleted: the dialog says why, naming the bundle, and links to it
    const a = where["/holiday/a.txt"]!;
    const holidayBundle = await owner.createBundle({ body: { name: "Holiday photos" } });
    await owner.setBundleObjects({ params: { id: holidayBundle.id }, body: { objects: [{ fileId: a.id }] } });
    await page.reload();
    await page.getByLabel("Search by name").fill("a.txt");
    await page.getByRole("table", { name: "Files found" }).getByText("1 bundle").waitFor();
    await page.getByRole("button", { name: "Delete a.txt" }).click();
    const confirm = page.getByRole("dialog", { name: "Delete “a.txt”?" });
    await confirm.getByRole("button", { name: "Delete file" }).click();
    const refusal = confirm.getByRole("alert");
    await refusal
      .getByText("The file is in the bundle “Holiday photos”; remove it from that bundle first")
      .waitFor();
    await eventually(() => hasFocus(refusal)).toBe(true);
    expect(await refusal.getByRole("link", { name: "Open “Holiday photos”" }).getAttribute("href")).toBe(
      `/admin/bundles/${holidayBundle.id}`,
    );
    await checkPage(page, "files-delete-refused");
    expect((await owner.getFile({ params: { id: a.id } })).id).toBe(a.id);
    await confirm.getByRole("button", { name: "Close" }).click();

    // out of the bundle, it goes
    await owner.setBundleObjects({ params: { id: holidayBundle.id }, body: { objects: [] } });
    await page.getByRole("button", { name: "Delete a.txt" }).click();
    await confirm.getByRole("button", { name: "Delete file" }).click();
    await status(page, "Deleted “a.txt”.").waitFor();
    const gone = await owner.getFile({ params: { id: a.id } }).catch((e: unknown) => e);
    expect(isApiError(gone) && gone.status).toBe(404);

    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("builds a bundle: adds files, reorders by keyboard and by drag, sets a path; publishes and revokes a link", {
    timeout: 300_000,
  }, async () => {
    const { s, dir } = t;
    const owner = s.client();
    const texts = {
      "rel-one.txt": "first file\n",
      "rel-two.txt": "second file\n",
      "rel-three.txt": "third file\n",
    };
    for (const [name, text] of Object.entries(texts)) await upload(s, name, Buffer.from(text), "/release");
    const bundle = await owner.createBundle({
      body: { name: "Release 1.0", description: "The first release" },
    });

    const { page, foreign, errors } = await open();
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: s.base });
    await page.goto(`${s.base}/admin/bundles`);
    await signInByLink(page, s, OWNER_EMAIL);
    // the list links each bundle to its pages
    await page.getByRole("table", { name: "Bundles" }).getByRole("link", { name: "Release 1.0" }).click();
    await heading(page, "Release 1.0").waitFor();
    expect(new URL(page.url()).pathname).toBe(`/admin/bundles/${bundle.id}`);
    const tabs = page.getByRole("navigation", { name: "Bundle sections" });
    expect(await tabs.getByRole("link").allTextContents()).toEqual(["Contents", "Links", "Recipients"]);
    expect(await tabs.getByRole("link", { name: "Contents" }).getAttribute("aria-current")).toBe("page");
    expect(await tabs.getByRole("link", { name: "Recipients" }).getAttribute("href")).toBe(
      `/admin/bundles/${bundle.id}/recipients`,
    );
    await page.getByRole("heading", { name: "No files in this bundle" }).waitFor();
    await page.getByText("Empty: add files").waitFor();
    await checkPage(page, "bundle-contents-empty");

    // add files from the library: a search, then ticks
    await page.getByRole("button", { name: "Add files" }).click();
    const picker = page.getByRole("dialog", { name: "Add files" });
    await picker.getByText(/^\d+ files\.$/).waitFor();
    await picker.getByLabel("Search by name").fill("REL-");
    await picker.getByText("3 files found.").waitFor();
    await picker.getByLabel("Search by name").fill("rel-t");
    await picker.getByText("2 files found.").waitFor();
    await picker.getByLabel("Search by name").fill("");
    for (const name of ["rel-one.txt", "rel-two.txt", "rel-three.txt"]) await picker.getByLabel(name).check();
    await checkPage(page, "bundle-add-files");
    await picker.getByRole("button", { name: "Add 3 files" }).click();
    const list = page.getByRole("list", { name: "Files in the archive, in order" });
    await eventually(() => list.getByRole("listitem").count()).toBe(3);
    const pathOf = (name: string) => list.getByLabel(`Path in the archive of ${name}`);
    const order = async () =>
      Promise.all((await list.locator("li input").all()).map((input) => input.inputValue()));
    // in the order the picker lists them: by folder, then name
    expect(await order()).toEqual(["rel-one.txt", "rel-three.txt", "rel-two.txt"]);
    const announced = page.locator("section[aria-labelledby=contents-title] > [role=status]");

    // by keyboard: Alt+Arrow Up in rel-two.txt's row, twice; the new place is said, the focus stays
    await pathOf("rel-two.txt").focus();
    await page.keyboard.press("Alt+ArrowUp");
    await eventually(() => announced.textContent()).toBe(
      "“rel-two.txt” moved to position 2 of 3. Save to apply.",
    );
    await page.keyboard.press("Alt+ArrowUp");
    await eventually(() => announced.textContent()).toBe(
      "“rel-two.txt” moved to position 1 of 3. Save to apply.",
    );
    expect(await hasFocus(pathOf("rel-two.txt"))).toBe(true);
    expect(await order()).toEqual(["rel-two.txt", "rel-one.txt", "rel-three.txt"]);
    // and with the buttons
    await page.getByRole("button", { name: "Move down rel-two.txt" }).click();
    await eventually(order).toEqual(["rel-one.txt", "rel-two.txt", "rel-three.txt"]);
    expect(await hasFocus(page.getByRole("button", { name: "Move down rel-two.txt" }))).toBe(true);

    // by drag: rel-three.txt's handle onto the upper half of the first row
    const firstRow = list.getByRole("listitem").first();
    const handleOf = (name: string) =>
      list
        .getByRole("listitem")
        .filter({ has: page.getByLabel(`Path in the archive of ${name}`) })
        .locator("[data-handle]");
    await handleOf("rel-three.txt").dragTo(firstRow, {
      targetPosition: { x: 200, y: 4 },
    });
    await eventually(order).toEqual(["rel-three.txt", "rel-one.txt", "rel-two.txt"]);
    await eventually(() => announced.textContent()).toBe(
      "“rel-three.txt” moved to position 1 of 3. Save to apply.",
    );

    // disable and enable again: the changes not saved yet stay
    await page.getByRole("button", { name: "Disable bundle" }).click();
    await status(page, "“Release 1.0” is disabled.").waitFor();
    await page.locator("main .head").getByText("Disabled").waitFor();
    expect((await owner.getBundle({ params: { id: bundle.id } })).enabled).toBe(false);
    await page.getByRole("button", { name: "Enable bundle" }).click();
    await page.locator("main .head").getByText("Enabled").waitFor();
    expect((await owner.getBundle({ params: { id: bundle.id } })).enabled).toBe(true);
    expect(await order()).toEqual(["rel-three.txt", "rel-one.txt", "rel-two.txt"]);
    await page.getByText("You have unsaved changes").waitFor();

    // a path the archive could not keep as typed: refused at the field, then set
    await pathOf("rel-one.txt").fill("letters/../rel-one.txt");
    await page.getByRole("button", { name: "Save contents" }).click();
    await page.getByText("One path needs a change before the contents can be saved.").waitFor();
    const field = pathOf("rel-one.txt");
    await eventually(() => field.getAttribute("aria-invalid")).toBe("true");
    expect(await hasFocus(field)).toBe(true);
    await page.getByText("The path cannot contain “.” or “..” as a name.").waitFor();
    await checkPage(page, "bundle-contents-error");
    await field.fill("letters/one.txt");
    await page.getByRole("button", { name: "Save contents" }).click();
    await status(page, "Saved. The archive of “Release 1.0” has 3 files.").waitFor();
    await page.getByText(/Ready: 3 files/).waitFor();
    await checkPage(page, "bundle-contents");

    const ids = Object.fromEntries(
      (await owner.listFiles({ query: { folder: "/release" } })).items.map((f) => [f.name, f.id]),
    );
    const saved = await owner.getBundle({ params: { id: bundle.id } });
    expect(saved.objects.map((o) => [o.fileId, o.path])).toEqual([
      [ids["rel-three.txt"], "rel-three.txt"],
      [ids["rel-one.txt"], "letters/one.txt"],
      [ids["rel-two.txt"], "rel-two.txt"],
    ]);
    expect(saved.archive).toMatchObject({ status: "ready", files: 3 });
    const archive = await owner.exportBundleArchive({ params: { id: bundle.id } });
    const zip = Buffer.from(await (archive as Response).arrayBuffer());
    expect(zipEntries(zip, dir)).toEqual([
      ["rel-three.txt", sha256(texts["rel-three.txt"])],
      ["letters/one.txt", sha256(texts["rel-one.txt"])],
      ["rel-two.txt", sha256(texts["rel-two.txt"])],
    ]);

    // Links: none yet
    await tabs.getByRole("link", { name: "Links" }).click();
    await page.getByRole("heading", { name: "No links yet" }).waitFor();
    expect(await tabs.getByRole("link", { name: "Links" }).getAttribute("aria-current")).toBe("page");
    await checkPage(page, "bundle-links-empty");

    // a link for 1 day and 2 downloads (a bad number first)
    await page.getByLabel("Valid for").selectOption({ label: "1 day" });
    await page.getByLabel("Maximum downloads").fill("two");
    await page.getByRole("button", { name: "Create link" }).click();
    await page.getByText("Enter a whole number of downloads").waitFor();
    expect(await hasFocus(page.getByLabel("Maximum downloads"))).toBe(true);
    await page.getByLabel("Maximum downloads").fill("2");
    const before = Date.now();
    await page.getByRole("button", { name: "Create link" }).click();
    const created = page.getByRole("region", { name: "Link created" });
    await created.getByText("Copy it now: it is shown only this once.").waitFor();
    const url = await created.getByLabel("The new link").inputValue();
    expect(url).toMatch(new RegExp(`^${s.base}/s/[A-Za-z0-9_-]{43}$`));
    await created.getByRole("button", { name: "Copy link" }).click();
    await created.getByText("Copied to the clipboard.").waitFor();
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(url);
    await checkPage(page, "bundle-link-created");
    const [link] = (await owner.listPublishLinks({ params: { id: bundle.id } })).items;
    expect(link).toMatchObject({ maxUses: 2, uses: 0, revokedAt: null });
    const lifetime = new Date(link!.expiresAt).getTime() - before;
    expect(lifetime).toBeGreaterThan(86_400_000 - 120_000);
    expect(lifetime).toBeLessThanOrEqual(86_400_000 + 1_000);

    // it downloads the archive; the list tells the uses left
    const fetched = await fetch(url);
    expect(fetched.status).toBe(200);
    expect(Buffer.from(await fetched.arrayBuffer()).equals(zip)).toBe(true);
    await created.getByRole("button", { name: "Done" }).click();
    await page.reload();
    const links = page.getByRole("table", { name: "Links of Release 1.0" });
    await links.getByText("1 of 2 used, 1 left").waitFor();
    await links.getByText("Active").waitFor();
    // the URL is not shown again
    expect(await page.getByText(url).count()).toBe(0);
    await checkPage(page, "bundle-links");

    // revoke, after a confirmation
    await links.getByRole("button", { name: /^Revoke/ }).click();
    const revoke = page.getByRole("dialog", { name: "Revoke this link?" });
    await checkPage(page, "bundle-link-revoke");
    await revoke.getByRole("button", { name: "Revoke link" }).click();
    await status(page, "The link is revoked: it no longer downloads anything.").waitFor();
    await links.getByText("Revoked").waitFor();
    expect(await links.getByRole("button", { name: /^Revoke/ }).count()).toBe(0);
    expect((await owner.listPublishLinks({ params: { id: bundle.id } })).items[0]!.revokedAt).not.toBeNull();
    expect((await fetch(url)).status).toBe(404);

    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe("admin files and bundles: executors, folder uploads, failures (sqlite + in-process)", () => {
  const { t, open } = setUp("adm_files_more", MODES[0]!);

  /** Calls the API from the page with its session (cookie and CSRF header), as the app would: the statuses. */
  async function callsFromPage(page: Page, calls: { method: string; path: string; body?: unknown }[]) {
    const csrf = (await page.context().cookies()).find((c) => c.name === "lf_csrf")?.value ?? "";
    expect(csrf).not.toBe("");
    return page.evaluate(
      async ({ calls, csrf }) => {
        const out: number[] = [];
        for (const { method, path, body } of calls) {
          const headers: Record<string, string> = { "x-csrf-token": decodeURIComponent(csrf) };
          let sent: FormData | string | undefined;
          if (body === "multipart") {
            const form = new FormData();
            form.append("file", new Blob(["sneaky"]), "sneaky.txt");
            sent = form;
          } else if (body !== undefined) {
            headers["content-type"] = "application/json";
            sent = JSON.stringify(body);
          }
          out.push((await fetch(path, { method, headers, ...(sent ? { body: sent } : {}) })).status);
        }
        return out;
      },
      { calls, csrf },
    );
  }

  it("offers an executor only its files and bundles and what its grants allow; the server refuses the rest", {
    timeout: 300_000,
  }, async () => {
    const { s } = t;
    const owner = s.client();
    const shared = await upload(s, "shared.txt", Buffer.from("shared"), "/team");
    const extra = await upload(s, "extra.txt", Buffer.from("extra"), "/team");
    const secret = await upload(s, "secret.txt", Buffer.from("secret"), "/private");
    const mine = await owner.createBundle({ body: { name: "Team bundle" } });
    const theirs = await owner.createBundle({ body: { name: "Owner's bundle" } });
    await owner.setBundleObjects({ params: { id: mine.id }, body: { objects: [{ fileId: shared }] } });
    await owner.setBundleObjects({ params: { id: theirs.id }, body: { objects: [{ fileId: secret }] } });
    const email = "files-executor@example.com";
    const user = await owner.inviteUser({ body: { email, role: "executor" } });
    for (const [action, resourceType, resourceId] of [
      ["bundles:read", "bundle", mine.id],
      ["bundles:write", "bundle", mine.id],
      ["files:read", "file", shared],
      ["files:read", "file", extra],
    ] as const) {
      await owner.grantPermission({ params: { id: user.id }, body: { action, resourceType, resourceId } });
    }

    const { page, foreign, errors } = await open();
    await page.goto(`${s.base}/admin/files`);
    await signInByLink(page, s, email);
    await heading(page, "Files").waitFor();
    const nav = page.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link").allTextContents()).toEqual([
      "Dashboard",
      "Files",
      "Bundles",
      "Tokens",
      "Sessions",
    ]);
    // its two files only; looking and downloading, no uploading, moving or deleting
    await page
      .getByRole("list", { name: "Folders in All files" })
      .getByRole("link", { name: /team\s+2 files/ })
      .click();
    const table = page.getByRole("table", { name: "Files in “team”" });
    await table.getByRole("link", { name: "Download shared.txt" }).waitFor();
    await table.getByRole("link", { name: "Download extra.txt" }).waitFor();
    expect(await page.getByText("secret.txt").count()).toBe(0);
    expect(await page.getByRole("button", { name: /Upload|Move|Delete/ }).count()).toBe(0);
    await page.getByText("You may look at these files and download them").waitFor();
    await checkPage(page, "files-executor");
    const download = page.waitForEvent("download");
    await table.getByRole("link", { name: "Download shared.txt" }).click();
    expect((await download).suggestedFilename()).toBe("shared.txt");

    // the server refuses what the page does not offer
    expect(
      await callsFromPage(page, [
        { method: "POST", path: "/api/v1/files", body: "multipart" },
        { method: "PATCH", path: `/api/v1/files/${shared}`, body: { folder: "/moved" } },
        { method: "DELETE", path: `/api/v1/files/${extra}` },
        { method: "GET", path: `/api/v1/files/${secret}` },
        { method: "PUT", path: `/api/v1/bundles/${theirs.id}/objects`, body: { objects: [] } },
      ]),
    ).toEqual([403, 403, 403, 403, 403]);
    expect((await owner.listFiles({ query: { limit: 200 } })).items.length).toBe(3);

    // its bundle: contents it may change (it reads every file in it), and add the other file it may read
    await nav.getByRole("link", { name: "Bundles" }).click();
    const bundles = page.getByRole("table", { name: "Bundles" });
    await bundles.getByRole("link", { name: "Team bundle" }).waitFor();
    expect(await bundles.getByText("Owner's bundle").count()).toBe(0);
    expect(await page.getByRole("button", { name: "New bundle" }).count()).toBe(0);
    await bundles.getByRole("link", { name: "Team bundle" }).click();
    await heading(page, "Team bundle").waitFor();
    await page.getByRole("button", { name: "Add files" }).click();
    const picker = page.getByRole("dialog", { name: "Add files" });
    await picker.getByText("2 files.").waitFor();
    expect(await picker.getByLabel("shared.txt").isDisabled()).toBe(true);
    await picker.getByLabel("extra.txt").check();
    await picker.getByRole("button", { name: "Add 1 file" }).click();
    await page.getByRole("button", { name: "Save contents" }).click();
    await status(page, "Saved. The archive of “Team bundle” has 2 files.").waitFor();
    expect(
      (await owner.getBundle({ params: { id: mine.id } })).objects.map((o) => [o.fileId, o.path]),
    ).toEqual([
      [shared, "shared.txt"],
      [extra, "extra.txt"],
    ]);

    // a link: created and revoked through the bundle it may write
    await page
      .getByRole("navigation", { name: "Bundle sections" })
      .getByRole("link", { name: "Links" })
      .click();
    await page.getByRole("button", { name: "Create link" }).click();
    await page.getByRole("region", { name: "Link created" }).waitFor();
    await page
      .getByRole("table", { name: "Links of Team bundle" })
      .getByRole("button", { name: /^Revoke/ })
      .click();
    await page
      .getByRole("dialog", { name: "Revoke this link?" })
      .getByRole("button", { name: "Revoke link" })
      .click();
    await status(page, "The link is revoked: it no longer downloads anything.").waitFor();
    const [link] = (await owner.listPublishLinks({ params: { id: mine.id } })).items;
    expect(link!.revokedAt).not.toBeNull();

    // another bundle's page: said to be out of reach
    await page.goto(`${s.base}/admin/bundles/${theirs.id}`);
    await page.getByText("You may not open this bundle.").waitFor();

    // an executor that may only read the bundle: contents and links shown, nothing to change
    const readerEmail = "bundle-reader@example.com";
    const reader = await owner.inviteUser({ body: { email: readerEmail, role: "executor" } });
    await owner.grantPermission({
      params: { id: reader.id },
      body: { action: "bundles:read", resourceType: "bundle", resourceId: mine.id },
    });
    const second = await open();
    await second.page.goto(`${s.base}/admin/bundles/${mine.id}`);
    await signInByLink(second.page, s, readerEmail);
    await heading(second.page, "Team bundle").waitFor();
    await second.page.getByText("shared.txt", { exact: true }).waitFor();
    expect(await second.page.getByRole("textbox").count()).toBe(0);
    expect(
      await second.page.getByRole("button", { name: /Add files|Move|Remove|Disable|Save/ }).count(),
    ).toBe(0);
    // no Files entry: it may read no file
    expect(
      await second.page.getByRole("navigation", { name: "Main" }).getByRole("link").allTextContents(),
    ).toEqual(["Dashboard", "Bundles", "Tokens", "Sessions"]);
    await checkPage(second.page, "bundle-contents-readonly");
    await second.page
      .getByRole("navigation", { name: "Bundle sections" })
      .getByRole("link", { name: "Links" })
      .click();
    await second.page.getByRole("table", { name: "Links of Team bundle" }).getByText("Revoked").waitFor();
    expect(await second.page.getByRole("button", { name: /Create link|Revoke/ }).count()).toBe(0);
    const fresh = await owner.createPublishLink({
      params: { id: mine.id },
      body: { expiresInSeconds: 3600 },
    });
    expect(
      await callsFromPage(second.page, [
        { method: "PUT", path: `/api/v1/bundles/${mine.id}/objects`, body: { objects: [] } },
        { method: "POST", path: `/api/v1/bundles/${mine.id}/links`, body: { expiresInSeconds: 3600 } },
        { method: "DELETE", path: `/api/v1/bundles/${mine.id}/links/${fresh.link.id}` },
        { method: "PATCH", path: `/api/v1/bundles/${mine.id}`, body: { enabled: false } },
      ]),
    ).toEqual([403, 403, 403, 403]);
    expect((await owner.getBundle({ params: { id: mine.id } })).objects.length).toBe(2);
    expect(foreign).toEqual([]);
    expect([...errors, ...second.errors]).toEqual([]);
  });

  it("uploads a folder with the button, shows progress, keeps failures with the reason and retries them", {
    timeout: 300_000,
  }, async () => {
    const { s, dir } = t;
    const owner = s.client();
    const { page, foreign, errors } = await open();
    // the list fails to load first: said so, with a way to try again
    let failing = true;
    await page.route("**/api/v1/files?*", async (route) => {
      if (!failing) return route.fallback();
      await new Promise((r) => setTimeout(r, 1500));
      await route.fulfill({
        status: 503,
        contentType: "application/json",
        body: JSON.stringify({ error: { code: "unavailable", message: "down", requestId: "req-1" } }),
      });
    });
    await page.goto(`${s.base}/admin/files`);
    await signInByLink(page, s, OWNER_EMAIL);
    await status(page, "Loading files…").waitFor();
    await checkPage(page, "files-loading");
    const failed = page.getByRole("alert").filter({ hasText: "The files could not be loaded." });
    await failed.getByText("reference req-1").waitFor();
    await checkPage(page, "files-load-failed");
    failing = false;
    await failed.getByRole("button", { name: "Try again" }).click();
    await page
      .getByRole("heading", { name: /No files yet|Files/ })
      .first()
      .waitFor();
    await eventually(() => failed.count()).toBe(0);

    // Upload folder: the picked folder's files keep their subfolders
    const reports = folderOnDisk(join(dir, "reports"), {
      "q1.txt": "first quarter",
      "2025/q2.txt": "second",
    });
    await page.locator("input[webkitdirectory]").setInputFiles(reports);
    await status(page, "2 files uploaded.").waitFor();
    const stored = (await owner.listFiles({ query: { limit: 200 } })).items
      .map((f) => `${f.folder}/${f.name}`)
      .filter((path) => path.startsWith("/reports/"));
    expect(stored.sort()).toEqual(["/reports/2025/q2.txt", "/reports/q1.txt"]);

    // progress, on a slow connection
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 20,
      downloadThroughput: -1,
      uploadThroughput: 256 * 1024,
    });
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    await page.locator("input[type=file]:not([webkitdirectory])").setInputFiles({
      name: "big.bin",
      mimeType: "application/octet-stream",
      buffer: big,
    });
    const uploads = page.getByRole("region", { name: "Uploads" });
    await uploads
      .getByRole("status")
      .getByText(/^Uploading 1 file…/)
      .waitFor();
    await eventually(async () => {
      const value = Number(await uploads.getByRole("progressbar", { name: "big.bin" }).getAttribute("value"));
      return value > 0 && value < big.length;
    }).toBe(true);
    await checkPage(page, "files-upload-progress");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await status(page, "3 files uploaded.").waitFor({ timeout: 120_000 });
    const bigFile = (await owner.listFiles({ query: { q: "big.bin" } })).items[0]!;
    expect(bigFile.sha256).toBe(sha256(big));
    await cdp.detach();

    // a failure the network causes: the reason, then a retry that works
    let cut = true;
    await page.route("**/api/v1/files", (route) => (cut ? route.abort("connectionreset") : route.fallback()));
    await page.locator("input[type=file]:not([webkitdirectory])").setInputFiles({
      name: "flaky.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("flaky"),
    });
    await uploads
      .getByText("The server could not be reached. Check your connection and try again.")
      .waitFor();
    cut = false;
    await uploads.getByRole("button", { name: "Retry flaky.txt" }).click();
    await status(page, "4 files uploaded.").waitFor();
    expect((await owner.listFiles({ query: { q: "flaky" } })).items.map((f) => f.name)).toEqual([
      "flaky.txt",
    ]);

    // a file the server refuses: its own words at the file; retrying gets the same answer
    const long = `${"n".repeat(252)}.txt`;
    await page.locator("input[type=file]:not([webkitdirectory])").setInputFiles({
      name: long,
      mimeType: "text/plain",
      buffer: Buffer.from("too long a name"),
    });
    const refused = uploads.getByText("name must be 1-255 characters without / or control characters");
    await refused.waitFor();
    await status(page, "4 files uploaded, 1 failed.").waitFor();
    await checkPage(page, "files-upload-failed");
    await uploads.getByRole("button", { name: `Retry ${long}` }).click();
    await status(page, "4 files uploaded, 1 failed.").waitFor();
    await uploads.getByRole("button", { name: `Dismiss ${long}` }).click();
    await uploads.getByRole("button", { name: "Clear finished" }).click();
    await eventually(() => uploads.count()).toBe(0);
    const names = (await owner.listFiles({ query: { limit: 200 } })).items.map((f) => f.name);
    expect(names).not.toContain(long);
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });
});
