// Scopes and roles are part of the REST contract; the auth service issues them, the gateway's policy checks them.
export { ALL_SCOPES, Role, Scope } from "@latchflow/api";
