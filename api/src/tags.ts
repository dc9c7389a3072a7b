/**
 * The groups operations are listed under (an operation's `tag`), each with the description the OpenAPI
 * document shows. An operation whose tag is missing here makes the document's builder throw.
 */
export const TAGS: Readonly<Record<string, string>> = {
  assignments: "Which recipients may download which bundles, with what limits",
  audit: "The tamper-evident audit trail: query, export and verify the hash chain",
  auth: "Admin sign-in with an emailed single-use link, sessions and sign-out",
  bundles: "Bundles: named, ordered sets of files released together as one archive",
  device: "Signing in a CLI with the OAuth 2.0 device authorization grant (RFC 8628)",
  downloads: "Downloading bundle archives, by recipients and through signed links",
  files: "Encrypted files: upload, list, read metadata, delete",
  health: "Liveness, readiness and this document",
  links: "Signed public links to a bundle",
  "publish links": "Signed public links to a bundle",
  pipelines: "Pipelines as code: a trigger firing steps (email, publish, grant, webhook)",
  plugins: "Plugins that add triggers and actions: install, enable, approve hosts, secrets",
  portal: "The recipient portal: sign-in with an emailed code, bundles and download history",
  recipients: "People who receive bundles: create, import, export",
  runs: "Pipeline runs and their logs; the public trigger ingress (webhooks, check-ins)",
  stats: "Figures for the admin dashboard, scoped to what the caller may see",
  tokens: "API tokens: list, create, rotate, revoke",
  users: "Admin users, invitations and roles",
};
