/** API token scopes: what a token may do. The auth service issues them, the gateway's policy checks them. */
export const Scope = {
  BundlesRead: "bundles:read",
  BundlesWrite: "bundles:write",
  FilesRead: "files:read",
  FilesWrite: "files:write",
  RecipientsRead: "recipients:read",
  RecipientsWrite: "recipients:write",
  PipelinesWrite: "pipelines:write",
  PipelinesRun: "pipelines:run",
  PluginsAdmin: "plugins:admin",
  AuditRead: "audit:read",
  UsersAdmin: "users:admin",
  /** list your own API tokens */
  TokensRead: "tokens:read",
  /** create, rotate and revoke API tokens and approve device sign-ins (never beyond the presenting credential) */
  TokensWrite: "tokens:write",
} as const;
export type Scope = (typeof Scope)[keyof typeof Scope];
export const ALL_SCOPES: readonly Scope[] = Object.values(Scope);

export const Role = { Owner: "owner", Admin: "admin", Executor: "executor" } as const;
export type Role = (typeof Role)[keyof typeof Role];
