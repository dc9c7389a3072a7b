// The admin app's Files page and a bundle's pages (Contents, Links): a folder dropped from the desktop uploaded
// with its structure, search, move, a deletion refused while a bundle uses the file (the bundle named), a bundle
// built (files added, reordered by keyboard and by drag, a path set) and its archive checked, a publish link
// created, copied and revoked; an executor offered only what it may do and refused the rest by the server.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isApiError } from "@latchflow/api/client";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  hasFocus,
  launchChromium,
  newContext,
  recordForeignRequests,
  recordPageErrors,
} from "../browser.js";
import { upload } from "../files/helpers.js";
import { zipEntryHashes } from "../portal/browser.js";
import { MODES, OWNER_EMAIL, type Stack } from "../stack.js";
import { checkPage, signInByLink, startAdminStack } from "./browser.js";

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
  let s: Stack;
  let browser: Browser;
  let dir: string;
  const contexts: BrowserContext[] = [];
  /** a person's browser (its own cookies) at 1280 px, recording what the page may not do */
  const open = async () => {
    const context = await newContext(browser);
    contexts.push(context);
    const page = await context.newPage();
    return { page, foreign: recordForeignRequests(page, s.base), errors: recordPageErrors(page) };
  };
  const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name });
  const status = (page: Page, text: string | RegExp) => page.getByRole("status").getByText(text).first();
  /** A file's name in a table of files (the row's action buttons repeat it for screen readers). */
  const fileIn = (table: Locator, name: string) =>
    table.locator("strong", { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) });

  beforeAll(async () => {
    s = await startAdminStack("adm_files", [dialect, bus]);
    browser = await launchChromium();
    dir = mkdtempSync(join(tmpdir(), "admin-files-"));
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("uploads a dropped folder with its structure, searches, moves, and explains a refused deletion", {
    timeout: 300_000,
  }, async () => {
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
    await move.getByRole("button", { name: "Save" }).click();
    const folderField = move.getByLabel("Folder");
    await eventually(() => folderField.getAttribute("aria-invalid")).toBe("true");
    expect(await hasFocus(folderField)).toBe(true);
    await move.getByText("A folder cannot contain “.” or “..” as a name.").waitFor();
    await checkPage(page, "files-move-dialog");
    await folderField.fill("/archive/2024");
    await move.getByLabel("Name").fill("bravo.txt");
    await move.getByRole("button", { name: "Save" }).click();
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
    const owner = s.client();
    const texts = { "one.txt": "first file\n", "two.txt": "second file\n", "three.txt": "third file\n" };
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
    await picker.getByText("3 files.").waitFor();
    await picker.getByLabel("Search by name").fill("o");
    await picker.getByText("2 files found.").waitFor();
    await picker.getByLabel("Search by name").fill("");
    for (const name of ["one.txt", "two.txt", "three.txt"]) await picker.getByLabel(name).check();
    await checkPage(page, "bundle-add-files");
    await picker.getByRole("button", { name: "Add 3 files" }).click();
    const list = page.getByRole("list", { name: "Files in the archive, in order" });
    await eventually(() => list.getByRole("listitem").count()).toBe(3);
    const pathOf = (name: string) => list.getByLabel(`Path in the archive of ${name}`);
    const order = () =>
      list.locator("li input").evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
    // in the order the picker lists them: by folder, then name
    expect(await order()).toEqual(["one.txt", "three.txt", "two.txt"]);
    const announced = page.locator("section[aria-labelledby=contents-title] > [role=status]");

    // by keyboard: Alt+Arrow Up in two.txt's row, twice; the new place is said, the focus stays
    await pathOf("two.txt").focus();
    await page.keyboard.press("Alt+ArrowUp");
    await eventually(() => announced.textContent()).toBe(
      "“two.txt” moved to position 2 of 3. Save to apply.",
    );
    await page.keyboard.press("Alt+ArrowUp");
    await eventually(() => announced.textContent()).toBe(
      "“two.txt” moved to position 1 of 3. Save to apply.",
    );
    expect(await hasFocus(pathOf("two.txt"))).toBe(true);
    expect(await order()).toEqual(["two.txt", "one.txt", "three.txt"]);
    // and with the buttons
    await page.getByRole("button", { name: "Move down two.txt" }).click();
    await eventually(order).toEqual(["one.txt", "two.txt", "three.txt"]);
    expect(await hasFocus(page.getByRole("button", { name: "Move down two.txt" }))).toBe(true);

    // by drag: three.txt's handle onto the upper half of the first row
    const firstRow = list.getByRole("listitem").first();
    const handleOf = (name: string) =>
      list
        .getByRole("listitem")
        .filter({ has: page.getByLabel(`Path in the archive of ${name}`) })
        .locator("[data-handle]");
    await handleOf("three.txt").dragTo(firstRow, {
      targetPosition: { x: 200, y: 4 },
    });
    await eventually(order).toEqual(["three.txt", "one.txt", "two.txt"]);
    await eventually(() => announced.textContent()).toBe(
      "“three.txt” moved to position 1 of 3. Save to apply.",
    );

    // a path the archive could not keep as typed: refused at the field, then set
    await pathOf("one.txt").fill("letters/../one.txt");
    await page.getByRole("button", { name: "Save contents" }).click();
    await page.getByText("One path needs a change before the contents can be saved.").waitFor();
    const field = pathOf("one.txt");
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
      [ids["three.txt"], "three.txt"],
      [ids["one.txt"], "letters/one.txt"],
      [ids["two.txt"], "two.txt"],
    ]);
    expect(saved.archive).toMatchObject({ status: "ready", files: 3 });
    const archive = await owner.exportBundleArchive({ params: { id: bundle.id } });
    const zip = Buffer.from(await (archive as Response).arrayBuffer());
    expect(zipEntries(zip, dir)).toEqual([
      ["three.txt", sha256(texts["three.txt"])],
      ["letters/one.txt", sha256(texts["one.txt"])],
      ["two.txt", sha256(texts["two.txt"])],
    ]);

    // disable and enable again
    await page.getByRole("button", { name: "Disable bundle" }).click();
    await status(page, "“Release 1.0” is disabled.").waitFor();
    await page.locator("main .head").getByText("Disabled").waitFor();
    expect((await owner.getBundle({ params: { id: bundle.id } })).enabled).toBe(false);
    await page.getByRole("button", { name: "Enable bundle" }).click();
    await page.locator("main .head").getByText("Enabled").waitFor();
    expect((await owner.getBundle({ params: { id: bundle.id } })).enabled).toBe(true);

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
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
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
