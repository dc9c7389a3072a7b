/**
 * THE naming rule for capabilities, in one place (issue 16): the plugin SDK applies it when a plugin is defined
 * and built, the kernel when a plugin is installed, and the pipeline validator to every `uses:`; all three give
 * the same message. Plain code, no imports: `@latchflow/spec/naming` is bundled into sandboxed plugins and runs in
 * browsers.
 *
 * A plugin declares `<name>@<major>` (`notify@1`); installed, it is used as `<plugin>/<name>@<major>`, where
 * `<plugin>` is the package name without its npm scope (`@acme/slack` → `slack/notify@1`). Built-ins have no
 * plugin part (`email@1`).
 */

/** The bounds of the rule: each name (capability, plugin part) and the major. */
export const CAPABILITY_NAME_RULE = { maxLength: 64, maxMajor: 999_999 } as const;

const NAME = `[a-z][a-z0-9-]{0,${CAPABILITY_NAME_RULE.maxLength - 1}}`;
const MAJOR = "[1-9][0-9]{0,5}";

/** Regular expression source of a `uses` string (also the pipeline JSON Schema's `pattern`). */
export const USES_PATTERN = `^(?:(${NAME})/)?(${NAME})@(${MAJOR})$`;
/** Regular expression source of what a plugin declares: `<name>@<major>`. */
export const CAPABILITY_ID_PATTERN = `^(${NAME})@(${MAJOR})$`;

/** The rule in words: the one message every place gives, after what is wrong. */
export const CAPABILITY_NAME_MESSAGE =
  `a capability is <name>@<major>: <name> is 1 to ${CAPABILITY_NAME_RULE.maxLength} lowercase letters, digits ` +
  `or dashes starting with a letter, <major> a whole number from 1 (e.g. notify@1); pipelines use a plugin's ` +
  `capability as <plugin>/<name>@<major>, <plugin> being the package name without its scope (e.g. slack/notify@1)`;

/** What is wrong with one name, or undefined. */
function nameProblem(name: string, what: string): string | undefined {
  if (name === "") return `${what} is empty`;
  if (name.length > CAPABILITY_NAME_RULE.maxLength)
    return `${what} is longer than ${CAPABILITY_NAME_RULE.maxLength} characters`;
  if (/[A-Z]/.test(name)) return `${what} has uppercase letters`;
  if (!/^[a-z]/.test(name)) return `${what} does not start with a letter`;
  if (!/^[a-z0-9-]*$/.test(name)) return `${what} has characters other than a-z, 0-9 and -`;
  return undefined;
}

function majorProblem(major: string | undefined): string | undefined {
  if (major === undefined || major === "") return "the @<major> is missing";
  if (!new RegExp(`^${MAJOR}$`).test(major)) return `the major "${major}" is not a whole number from 1`;
  return undefined;
}

const say = (value: string, problem: string) =>
  `"${value}" breaks the capability naming rule (${problem}): ${CAPABILITY_NAME_MESSAGE}`;

/**
 * What a plugin declares (`definePlugin`'s capability keys, `latchflow-plugin.json`'s `key@major`): undefined when
 * `<name>@<major>` follows the rule, else the message.
 */
export function capabilityIdProblem(id: string): string | undefined {
  const at = id.lastIndexOf("@");
  const name = at < 0 ? id : id.slice(0, at);
  const major = at < 0 ? undefined : id.slice(at + 1);
  if (name.includes("/"))
    return say(id, "a slash: declare notify@1, the plugin's name is put in front when it is installed");
  const problem = nameProblem(name, "the name") ?? majorProblem(major);
  return problem === undefined ? undefined : say(id, problem);
}

/** The `<plugin>` part of `uses` for an installed package: its name without the npm scope (`@acme/x` → `x`). */
export function usesPrefix(packageName: string): string {
  return packageName.replace(/^@[^/]+\//, "");
}

/** A package name whose `<plugin>` part breaks the rule gives this message (install and `definePlugin`). */
export function pluginNameProblem(packageName: string): string | undefined {
  const prefix = usesPrefix(packageName);
  const problem = nameProblem(prefix, `the plugin part "${prefix}" of package ${packageName}`);
  return problem === undefined ? undefined : say(`${prefix}/<name>@<major>`, problem);
}

/** A `uses` string: undefined when it follows the rule (with or without a plugin part), else the message. */
export function usesProblem(uses: string): string | undefined {
  const at = uses.lastIndexOf("@");
  const ref = at < 0 ? uses : uses.slice(0, at);
  const major = at < 0 ? undefined : uses.slice(at + 1);
  const parts = ref.split("/");
  if (parts.length > 2) return say(uses, "more than one slash: <plugin>/<name>@<major> has one");
  const name = parts.at(-1) ?? "";
  const plugin = parts.length === 2 ? parts[0] : undefined;
  const problem =
    (plugin === undefined ? undefined : nameProblem(plugin, "the plugin part")) ??
    nameProblem(name, "the name") ??
    majorProblem(major);
  return problem === undefined ? undefined : say(uses, problem);
}
