import { describe, expect, it } from "vitest";
import { type DroppedEntry, entriesOfDrop, filesOfEntries, filesOfInput } from "./picked-files.js";

const file = (name: string, text = name) => new File([text], name);

function fileEntry(f: File): DroppedEntry {
  return { isFile: true, isDirectory: false, name: f.name, file: (ok) => setTimeout(() => ok(f)) };
}

/** A folder whose reader answers in batches of `batch`, as Chromium's does (100). */
function folderEntry(name: string, children: DroppedEntry[], batch = 2): DroppedEntry {
  return {
    isFile: false,
    isDirectory: true,
    name,
    createReader() {
      let at = 0;
      return {
        readEntries(ok) {
          const next = children.slice(at, at + batch);
          at += next.length;
          setTimeout(() => ok(next));
        },
      };
    },
  };
}

const shape = (picked: { file: File; dir: string }[]) => picked.map((p) => `${p.dir}|${p.file.name}`);

describe("dropped and picked files", () => {
  it("walks dropped folders all the way down, keeping each file's folders; loose files stay at the top", async () => {
    const tree = folderEntry("photos", [
      fileEntry(file("a.jpg")),
      folderEntry("2024", [fileEntry(file("b.jpg")), folderEntry("empty", []), fileEntry(file("c.jpg"))]),
      fileEntry(file("d.jpg")),
      fileEntry(file("e.jpg")),
    ]);
    const picked = await filesOfEntries([tree, fileEntry(file("loose.txt")), file("plain.txt")]);
    expect(shape(picked)).toEqual([
      "photos|a.jpg",
      "photos/2024|b.jpg",
      "photos/2024|c.jpg",
      "photos|d.jpg",
      "photos|e.jpg",
      "|loose.txt",
      "|plain.txt",
    ]);
    expect(await picked[1]!.file.text()).toBe("b.jpg");
  });

  it("takes entries from a drop's items, or its plain files when the browser gives no entries", () => {
    const entry = fileEntry(file("x"));
    const items = [
      { kind: "file", webkitGetAsEntry: () => entry, getAsFile: () => null },
      { kind: "string", webkitGetAsEntry: () => null, getAsFile: () => null },
      { kind: "file", webkitGetAsEntry: () => null, getAsFile: () => file("y") },
    ];
    const got = entriesOfDrop({ items, files: [] } as unknown as DataTransfer);
    expect(got[0]).toBe(entry);
    expect((got[1] as File).name).toBe("y");
    const plain = entriesOfDrop({ items: [], files: [file("z")] } as unknown as DataTransfer);
    expect((plain[0] as File).name).toBe("z");
  });

  it("keeps the folders of a folder input's relative paths", () => {
    const inFolder = (path: string) => {
      const f = file(path.split("/").at(-1)!);
      Object.defineProperty(f, "webkitRelativePath", { value: path });
      return f;
    };
    expect(
      shape(filesOfInput([inFolder("photos/2024/b.jpg"), inFolder("photos/a.jpg"), file("c.txt")])),
    ).toEqual(["photos/2024|b.jpg", "photos|a.jpg", "|c.txt"]);
  });
});
