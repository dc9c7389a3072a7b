// Scopes and roles are part of the REST contract; the auth service issues them, the gateway's policy checks them.
// Through the contract's `scopes` entry point, not its index: a backend never loads the REST schemas (ADR 070).
export { ALL_SCOPES, Role, Scope } from "@latchflow/api/scopes";
