import type { schemas } from "@latchflow/api";
import { genericMessage } from "./errors.js";
import { joinFolder } from "./folders.js";
import type { PickedFile } from "./picked-files.js";
import { uploadFile } from "./upload.js";

type FileObject = schemas.FileObject;

/** One file on its way up: where it goes, how far it is, and how it ended. */
export interface UploadItem {
  id: number;
  file: File;
  /** the folder it is stored in */
  folder: string;
  state: "waiting" | "uploading" | "done" | "failed";
  sent: number;
  total: number;
  /** why it failed, in the server's words when it answered */
  error?: string | undefined;
  controller?: AbortController | undefined;
}

/**
 * The uploads of a page: a few at a time, each with its progress, failures kept with the reason and retried on
 * request. `onStored` hears of each file the server stored.
 */
export class UploadQueue {
  items = $state<UploadItem[]>([]);
  #running = 0;
  #next = 1;

  constructor(
    private readonly onStored: (file: FileObject) => void,
    private readonly concurrency = 2,
  ) {}

  /** Queues picked files into `into`, each under the folders it came from. */
  add(picked: readonly PickedFile[], into: string): void {
    for (const p of picked) {
      this.items.push({
        id: this.#next++,
        file: p.file,
        folder: joinFolder(into, p.dir),
        state: "waiting",
        sent: 0,
        total: p.file.size,
      });
    }
    this.#pump();
  }

  retry(id: number): void {
    const item = this.items.find((i) => i.id === id);
    if (item?.state !== "failed") return;
    item.state = "waiting";
    item.error = undefined;
    item.sent = 0;
    this.#pump();
  }

  /** Stops an upload in flight (it fails as cancelled, and may be retried) or drops a waiting one. */
  cancel(id: number): void {
    const item = this.items.find((i) => i.id === id);
    if (item?.state === "uploading") item.controller?.abort();
    else if (item?.state === "waiting") this.items = this.items.filter((i) => i.id !== id);
  }

  /** Forgets the uploads that are done (failures stay until retried or dismissed). */
  clearDone(): void {
    this.items = this.items.filter((i) => i.state !== "done");
  }

  dismiss(id: number): void {
    this.items = this.items.filter((i) => i.id !== id || i.state === "uploading");
  }

  get counts() {
    const of = (state: UploadItem["state"]) => this.items.filter((i) => i.state === state).length;
    return { waiting: of("waiting"), uploading: of("uploading"), done: of("done"), failed: of("failed") };
  }

  #pump(): void {
    while (this.#running < this.concurrency) {
      const item = this.items.find((i) => i.state === "waiting");
      if (!item) return;
      void this.#start(item);
    }
  }

  async #start(item: UploadItem): Promise<void> {
    this.#running++;
    item.state = "uploading";
    item.controller = new AbortController();
    try {
      const stored = await uploadFile(item.file, item.folder, {
        signal: item.controller.signal,
        onProgress: (sent, total) => {
          item.sent = sent;
          item.total = total;
        },
      });
      item.state = "done";
      item.sent = item.total;
      this.onStored(stored);
    } catch (err) {
      item.state = "failed";
      item.error =
        err instanceof DOMException && err.name === "AbortError" ? "Cancelled." : genericMessage(err);
    } finally {
      item.controller = undefined;
      this.#running--;
      this.#pump();
    }
  }
}
