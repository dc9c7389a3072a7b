/**
 * The one rule for a download passphrase, wherever it is set: the REST contract, `grant@1`'s config schema, the
 * grant host call and the bundles service all take their bounds from here. Plain data (no zod): the plugin SDK
 * re-exports it into sandboxed plugin bundles through `@latchflow/api/rules`.
 */
export const PASSPHRASE_RULE = { minLength: 8, maxLength: 256 } as const;

/**
 * The one rule for the sender's message to a recipient (an assignment's `message`, `grant@1`'s `message`): plain
 * text, at most this many characters; clients render it as text, never as markup.
 */
export const MESSAGE_RULE = { maxLength: 4000 } as const;

/** The one rule for a name a recipient gives one of their devices. */
export const DEVICE_NAME_RULE = { minLength: 1, maxLength: 60 } as const;

/**
 * A pairing code: this many characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown as two groups
 * of four ("K7PX-3MQD"); lower case, spaces and a missing dash are accepted when entered.
 */
export const PAIRING_CODE_RULE = {
  alphabet: "23456789ABCDEFGHJKMNPQRSTUVWXYZ",
  length: 8,
  ttlSeconds: 600,
} as const;

/**
 * The sender's message as stored: line breaks normalised to "\n". Undefined when it breaks {@link MESSAGE_RULE}
 * (too long, or holding a control character other than tab and newline: C0, DEL, C1), so every writer (REST,
 * `grant@1`, the CLI) refuses the same texts.
 */
export function normalizeMessage(text: string): string | undefined {
  const normal = text.replace(/\r\n?/g, "\n");
  if (normal.length > MESSAGE_RULE.maxLength) return undefined;
  for (let i = 0; i < normal.length; i++) {
    const c = normal.charCodeAt(i);
    if (c === 9 || c === 10) continue;
    if (c < 32 || (c >= 0x7f && c <= 0x9f)) return undefined;
  }
  return normal;
}
