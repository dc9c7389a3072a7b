// A pipeline being edited: one YAML source shared by the builder and the YAML tab, the stored text it started from,
// and its problems — the parser's and the condition checker's at once, the server validator's shortly after each
// change (and the refusal of a save).
import { ApiError } from "@latchflow/api/client";
import { ErrorCode } from "@latchflow/api/errors";
import { api } from "../api.js";
import {
  byPosition,
  CONDITION_CODES,
  conditionProblems,
  fromDiagnostic,
  type Problem,
  syntaxProblems,
} from "./problems.js";
import { applyEdit, type Edit, parseYaml, type YamlSource } from "./yaml-source.js";

/** How long the text must rest before the server checks it. */
const VALIDATE_AFTER_MS = 400;

export class PipelineDraft {
  /** the document: its text and its parse */
  source = $state.raw<YamlSource>(parseYaml(""));
  /** the text as stored on the server (empty for a new pipeline) */
  stored = $state("");
  /** the server's problems, and the text they are about */
  #server = $state.raw<{ text: string; problems: Problem[] }>({ text: "", problems: [] });
  /** the server is checking the current text */
  checking = $state(false);
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inflight: AbortController | undefined;

  constructor(text: string, stored = text) {
    this.source = parseYaml(text);
    this.stored = stored;
    this.#schedule();
  }

  get text(): string {
    return this.source.text;
  }

  get dirty(): boolean {
    return this.source.text !== this.stored;
  }

  readonly syntax = $derived(syntaxProblems(this.source));
  readonly #conditions = $derived(
    this.syntax.some((p) => p.severity === "error") ? [] : conditionProblems(this.source),
  );

  /**
   * Every problem, by position: YAML errors alone while there are any (nothing else can be read); else the
   * conditions (checked here) and the server's last answer for the other checks. That answer may be about an
   * earlier text for a moment (`fresh` says whether it is about this one).
   */
  readonly problems = $derived.by(() => {
    if (this.syntax.some((p) => p.severity === "error")) return byPosition(this.syntax);
    const server = this.#server.problems.filter((p) => !CONDITION_CODES.has(p.code));
    return byPosition([...this.syntax, ...this.#conditions, ...server]);
  });

  get fresh(): boolean {
    return this.#server.text === this.source.text && !this.checking;
  }

  get errorCount(): number {
    return this.problems.filter((p) => p.severity === "error").length;
  }

  /** A builder edit (see yaml-source.ts); returns false when it could not be made (the text does not parse). */
  edit(edit: Edit | Edit[]): boolean {
    try {
      let next = this.source;
      for (const e of Array.isArray(edit) ? edit : [edit]) next = applyEdit(next, e);
      this.#set(next);
      return true;
    } catch {
      return false;
    }
  }

  /** The YAML tab's text. */
  setText(text: string): void {
    if (text !== this.source.text) this.#set(parseYaml(text));
  }

  /** Back to a text (the stored one after a discard, or a new stored one after a save elsewhere). */
  reset(text: string, stored = text): void {
    this.stored = stored;
    this.#set(parseYaml(text));
  }

  #set(next: YamlSource): void {
    this.source = next;
    this.#schedule();
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#inflight?.abort();
    if (typeof window === "undefined") return;
    this.checking = true;
    this.#timer = setTimeout(() => void this.validate(), VALIDATE_AFTER_MS);
  }

  /** Asks the server's validator about the current text (syntax errors are not sent: they are known here). */
  async validate(): Promise<void> {
    const text = this.source.text;
    if (this.syntax.some((p) => p.severity === "error") || text.trim() === "") {
      this.#server = { text, problems: [] };
      this.checking = false;
      return;
    }
    const inflight = new AbortController();
    this.#inflight = inflight;
    try {
      const result = await api.validatePipeline({
        body: text,
        contentType: "application/yaml",
        signal: inflight.signal,
      });
      if (text !== this.source.text) return;
      this.#server = { text, problems: result.diagnostics.map(fromDiagnostic) };
    } catch {
      // offline or refused: the problems stay as they were; a save still asks the server
    } finally {
      if (this.#inflight === inflight) {
        this.checking = false;
        this.#inflight = undefined;
      }
    }
  }

  /**
   * Stores the text as `name`'s new version. Answers what happened: saved, refused with problems (now shown),
   * or refused for another reason (`message`).
   */
  async save(name: string): Promise<{ ok: true } | { ok: false; message?: string }> {
    const text = this.source.text;
    clearTimeout(this.#timer);
    try {
      await api.putPipeline({ params: { name }, body: text, contentType: "application/yaml" });
      this.stored = text;
      this.#server = { text, problems: [] };
      this.checking = false;
      return { ok: true };
    } catch (err) {
      if (err instanceof ApiError && err.code === ErrorCode.ValidationFailed) {
        const diagnostics = Array.isArray(err.details.diagnostics) ? err.details.diagnostics : [];
        if (diagnostics.length) {
          this.#server = { text, problems: diagnostics.map(fromDiagnostic) };
          this.checking = false;
          return { ok: false };
        }
      }
      throw err;
    }
  }
}
