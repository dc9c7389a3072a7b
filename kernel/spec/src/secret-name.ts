// How a capability's config names one of its plugin's secrets: a string value whose JSON Schema says
// `format: "secret-name"` (e.g. `webhook@1`'s `secretName`, `http@1`'s `signWithSecret`). The validator checks
// the name's shape (this pattern) and, with a resolver that can tell, that the secret is set. Its own entry
// point (`@latchflow/spec/secret-name`) so plugin manifests take it without the validator.

/** The JSON Schema format of a config value naming a secret of the capability's plugin. */
export const SECRET_NAME_FORMAT = "secret-name";

/** What a secret's name may be: the server refuses to set others. */
export const SECRET_NAME_PATTERN = "^[A-Za-z][A-Za-z0-9_.-]{0,99}$";
