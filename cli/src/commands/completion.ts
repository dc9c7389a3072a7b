// `latchflow completion bash|zsh|fish`: a static script holding the whole command tree (every group is loaded
// once, here), so pressing Tab never starts the CLI.
import type { AnyCommand, CommandGroup, OptionSpec } from "./command.js";
import { defineCommand } from "./command.js";
import { usageError } from "./exit-codes.js";
import { GLOBAL_OPTIONS } from "./globals.js";
import { GROUPS } from "./registry.js";

/** The launcher's words (main.ts), completed as plain words. */
const LAUNCHER_WORDS = ["start", "keys", "audit", "help"];

interface Tree {
  /** "" → top-level words; "bundles" → its subcommands; "bundles list" → the command's flags */
  words: Map<string, string[]>;
  /** paths whose arguments are files */
  fileArgs: Set<string>;
}

const flagsOf = (c: AnyCommand) =>
  (Object.entries({ ...GLOBAL_OPTIONS, ...c.options }) as [string, OptionSpec][]).map(([n, o]) =>
    o.negatable ? `--no-${n}` : `--${n}`,
  );

export async function commandTree(): Promise<Tree> {
  const words = new Map<string, string[]>();
  const fileArgs = new Set<string>();
  const loaded = new Map<() => Promise<CommandGroup>, CommandGroup>();
  words.set("", [...Object.keys(GROUPS), ...LAUNCHER_WORDS]);
  for (const [word, entry] of Object.entries(GROUPS)) {
    const group = loaded.get(entry.load) ?? (await entry.load());
    loaded.set(entry.load, group);
    for (const c of group.commands.filter((x) => x.path[0] === word)) {
      const path = c.path.join(" ");
      if (c.path.length === 2) words.set(word, [...(words.get(word) ?? []), c.path[1]!]);
      words.set(path, flagsOf(c));
      if (c.args.some((a) => a.complete === "file")) fileArgs.add(path);
    }
  }
  return { words, fileArgs };
}

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

export function bashScript(tree: Tree): string {
  const cases = [...tree.words].map(([k, v]) => `    ${quote(k)}) words=${quote(v.join(" "))} ;;`).join("\n");
  const files = [...tree.fileArgs].map(quote).join("|") || "'__none__'";
  return `# latchflow bash completion: eval "$(latchflow completion bash)" (or save it in bash_completion.d)
_latchflow() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" w i words
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    if [[ -z "$path" ]]; then path="$w"; elif [[ "$path" != *" "* ]]; then path="$path $w"; fi
  done
  case "$path" in
${cases}
    *) words="" ;;
  esac
  case "$path" in ${files}) [[ "$cur" != -* ]] && { COMPREPLY=($(compgen -f -- "$cur")); return; } ;; esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _latchflow latchflow
`;
}

export function zshScript(tree: Tree): string {
  return `#compdef latchflow
# latchflow zsh completion: eval "$(latchflow completion zsh)" (after compinit), or save as _latchflow in $fpath
autoload -U bashcompinit 2>/dev/null && bashcompinit
${bashScript(tree)}`;
}

export function fishScript(tree: Tree): string {
  const lines = [
    "# latchflow fish completion: latchflow completion fish > ~/.config/fish/completions/latchflow.fish",
  ];
  lines.push("complete -c latchflow -f");
  for (const w of tree.words.get("") ?? [])
    lines.push(`complete -c latchflow -n __fish_use_subcommand -a ${quote(w)}`);
  for (const [path, words] of tree.words) {
    const parts = path.split(" ");
    if (path === "") continue;
    if (parts.length === 1) {
      const cond = `__fish_seen_subcommand_from ${parts[0]}`;
      for (const w of words.filter((x) => !x.startsWith("-")))
        lines.push(`complete -c latchflow -n ${quote(cond)} -a ${quote(w)}`);
      for (const f of words.filter((x) => x.startsWith("--")))
        lines.push(`complete -c latchflow -n ${quote(cond)} -l ${quote(f.slice(2))}`);
    } else {
      const cond = `__fish_seen_subcommand_from ${parts[0]}; and __fish_seen_subcommand_from ${parts[1]}`;
      for (const f of words) lines.push(`complete -c latchflow -n ${quote(cond)} -l ${quote(f.slice(2))}`);
      if (tree.fileArgs.has(path)) lines.push(`complete -c latchflow -n ${quote(cond)} -F`);
    }
  }
  return `${lines.join("\n")}\n`;
}

const SCRIPTS = { bash: bashScript, zsh: zshScript, fish: fishScript };

export const completion = defineCommand({
  path: ["completion"],
  summary: "Print a shell completion script for bash, zsh or fish",
  usage: "latchflow completion bash|zsh|fish",
  examples: [
    'eval "$(latchflow completion bash)"',
    "latchflow completion fish > ~/.config/fish/completions/latchflow.fish",
  ],
  access: "anyone (no server is contacted)",
  args: [{ name: "shell", required: true }],
  async run(ctx) {
    const shell = ctx.args[0]!;
    if (!Object.hasOwn(SCRIPTS, shell))
      throw usageError(`unknown shell "${shell}" (bash, zsh or fish)`, ctx.commandLine);
    ctx.out.line(SCRIPTS[shell as keyof typeof SCRIPTS](await commandTree()).trimEnd());
    return undefined;
  },
});

export const commands = [completion];
