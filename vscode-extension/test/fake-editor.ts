// The editor faked at its one seam (src/client/editor.ts): what the extension says and shows is recorded in
// order, and the person's answers (confirmations, input, picks, notification buttons) come from queues.
import type { AskOptions, Editor, PickItem } from "../src/client/editor.js";

export class FakeEditor implements Editor {
  /** Everything shown, in order: `info: …`, `error: …`, `confirm Apply: …`, `ask: …`, `diff: …`, `open: …`. */
  readonly said: string[] = [];
  readonly settingsMap = new Map<string, unknown>();
  readonly secretsMap = new Map<string, string>();
  /** Answers to `confirm`, in order (false once empty). */
  readonly confirms: boolean[] = [];
  /** Answers to `ask` (undefined: dismissed); each is also checked with the box's `validate`. */
  readonly answers: (string | undefined)[] = [];
  /** What `validate` said of each answer (undefined: accepted). */
  readonly validations: (string | undefined)[] = [];
  /** Chooses from a quick pick (default: dismissed). */
  choose: <T>(items: readonly PickItem<T>[]) => T | undefined = () => undefined;
  /** Buttons chosen on notifications, by the message's start (default: none). */
  readonly buttons = new Map<string, string>();
  /** Called when a URL is opened in the browser. */
  onOpenExternal: (url: string) => Promise<void> | void = () => {};
  readonly picked: PickItem<unknown>[][] = [];
  readonly clipboard: string[] = [];
  /** The abort controller of the current progress notification (to cancel it as a person would). */
  progressController: AbortController | undefined;
  restarts = 0;
  files: string[] = [];
  problemsShown = 0;

  readonly settings = {
    get: <T>(section: string) => this.settingsMap.get(section) as T | undefined,
    update: async (section: string, value: unknown) => {
      this.settingsMap.set(section, value);
    },
  };

  readonly secrets = {
    get: async (key: string) => this.secretsMap.get(key),
    store: async (key: string, value: string) => {
      this.secretsMap.set(key, value);
    },
    delete: async (key: string) => {
      this.secretsMap.delete(key);
    },
  };

  private button(message: string, actions: string[]): string | undefined {
    for (const [start, action] of this.buttons)
      if (message.startsWith(start) && actions.includes(action)) return action;
    return undefined;
  }

  async info(message: string, ...actions: string[]) {
    this.said.push(`info: ${message}${actions.length ? ` [${actions.join("|")}]` : ""}`);
    return this.button(message, actions);
  }

  async error(message: string, ...actions: string[]) {
    this.said.push(`error: ${message}${actions.length ? ` [${actions.join("|")}]` : ""}`);
    return this.button(message, actions);
  }

  async confirm(message: string, action: string) {
    this.said.push(`confirm ${action}: ${message}`);
    return this.confirms.shift() ?? false;
  }

  async ask(options: AskOptions) {
    this.said.push(`ask: ${options.prompt}`);
    const answer = this.answers.shift();
    if (answer !== undefined) this.validations.push(options.validate?.(answer));
    return answer;
  }

  async pick<T>(items: readonly PickItem<T>[], placeholder: string) {
    this.said.push(`pick: ${placeholder}`);
    this.picked.push(items as readonly PickItem<unknown>[] as PickItem<unknown>[]);
    return this.choose(items);
  }

  async openExternal(url: string) {
    this.said.push(`browser: ${url}`);
    await this.onOpenExternal(url);
    return true;
  }

  async copy(text: string) {
    this.clipboard.push(text);
  }

  async progress<T>(title: string, task: (signal: AbortSignal) => Promise<T>) {
    this.said.push(`progress: ${title}`);
    this.progressController = new AbortController();
    try {
      return await task(this.progressController.signal);
    } finally {
      this.progressController = undefined;
    }
  }

  async diff(left: string, right: string, title: string) {
    this.said.push(`diff: ${left} ↔ ${right} (${title})`);
  }

  async open(uri: string) {
    this.said.push(`open: ${uri}`);
  }

  async findFiles(glob: string) {
    this.said.push(`find: ${glob}`);
    return this.files;
  }

  async showProblems() {
    this.problemsShown++;
  }

  async restartLanguageServer() {
    this.restarts++;
  }
}
