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
