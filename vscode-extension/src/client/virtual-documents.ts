// Read-only documents the extension shows (a pipeline's source as stored on the server, the left side of the
// plan's diff; a run's steps): kept here by uri, served to the editor by a TextDocumentContentProvider of the
// `latchflow:` scheme (extension.ts).

/** The uri scheme of the extension's read-only documents. */
export const SCHEME = "latchflow";

export class VirtualDocuments {
  private readonly texts = new Map<string, string>();
  private readonly listeners = new Set<(uri: string) => void>();

  /** Stores `text` at `latchflow:/<path>` (replacing what was there, and telling the editor) and answers the uri. */
  set(path: string, text: string): string {
    const uri = `${SCHEME}:/${path.split("/").map(encodeURIComponent).join("/")}`;
    const changed = this.texts.has(uri) && this.texts.get(uri) !== text;
    this.texts.set(uri, text);
    if (changed) for (const listener of this.listeners) listener(uri);
    return uri;
  }

  get(uri: string): string | undefined {
    return this.texts.get(uri);
  }

  /** Called with the uri of a document whose text changed while it may be open. */
  onDidChange(listener: (uri: string) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
}
