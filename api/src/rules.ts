/**
 * The one rule for a download passphrase, wherever it is set: the REST contract, `grant@1`'s config schema, the
 * grant host call and the bundles service all take their bounds from here. Plain data (no zod): the plugin SDK
 * re-exports it into sandboxed plugin bundles through `@latchflow/api/rules`.
 */
export const PASSPHRASE_RULE = { minLength: 8, maxLength: 256 } as const;
