/**
 * The event catalogue: every event type of every domain with its payload type.
 * Type names are `<domain>.<entity>.<past-tense-verb>`; subjects come from `subjectFor` only.
 */
/** A package's signature in plugin events: "trusted" | "untrusted" | "unsigned" | "broken" (ADR 042). */
export interface PluginSignatureData {
  state: string;
  keyId?: string;
  fingerprint?: string;
  signer?: string;
  /** the trusted key's name (state "trusted") */
  publisher?: string;
}

export interface EventCatalogue {
  "auth.user.created": { email: string; role: string };
  "auth.user.invited": { userId: string; email: string; role: string };
  "auth.user.role-changed": { userId: string; from: string; to: string };
  "auth.user.deactivated": { userId: string };
  "auth.user.reactivated": { userId: string };
  "auth.signin.succeeded": {
    method: "magic_link" | "otp" | "pairing";
    subjectKind: "user" | "recipient";
    sessionId: string;
  };
  "auth.signin.failed": { method: "magic_link" | "otp" | "token"; reason: string };
  "auth.magic-link.sent": { email: string };
  "auth.otp.sent": { recipientId: string };
  "auth.otp.verified": { recipientId: string };
  "auth.otp.failed": { recipientId: string; attempts: number; invalidated: boolean };
  "auth.session.revoked": { sessionId: string; subjectKind: string; subjectId: string };
  "auth.token.created": { tokenId: string; userId: string; scopes: string[] };
  "auth.token.rotated": { tokenId: string; userId: string };
  "auth.token.revoked": { tokenId: string; userId: string };
  "auth.device.requested": { deviceGrantId: string; clientId: string; scopes: string[] };
  "auth.device.approved": { deviceGrantId: string; userId: string };
  "auth.device.denied": { deviceGrantId: string; userId: string };
  "auth.permission.granted": {
    permissionId: string;
    userId: string;
    action: string;
    resourceType: string;
    resourceId: string;
    effect: string;
  };
  "auth.permission.revoked": { permissionId: string; userId: string };
  "auth.recipient.created": { recipientId: string; email: string };
  "auth.recipient.updated": { recipientId: string; changes: string[] };
  "auth.recipient.deleted": { recipientId: string; email: string };
  /** a recipient forgot one of their devices; `sessionsEnded` sessions ended with it */
  "auth.recipient-device.forgotten": { recipientId: string; deviceId: string; sessionsEnded: number };
  "auth.recipient-device.renamed": { recipientId: string; deviceId: string };
  "auth.pairing.started": { recipientId: string; pairingId: string; deviceId: string | null };
  /** a browser entered the pairing's code and awaits confirmation */
  "auth.pairing.claimed": { recipientId: string; pairingId: string };
  /** the first device confirmed; `newDeviceId` is the device signed in by it */
  "auth.pairing.approved": {
    recipientId: string;
    pairingId: string;
    approvedBy: string | null;
    newDeviceId: string;
  };
  "auth.pairing.denied": { recipientId: string; pairingId: string };
  "bundles.bundle.created": { bundleId: string; name: string };
  /** `name`: the new name, when it changed */
  "bundles.bundle.updated": { bundleId: string; changes: string[]; name?: string };
  "bundles.bundle.deleted": { bundleId: string; name: string };
  "bundles.bundle.content-changed": { bundleId: string; files: number };
  /** a user downloaded (a range of) the bundle's archive: `start` and `bytes` of what was sent, of `size` */
  "bundles.bundle.exported": {
    bundleId: string;
    versionId: string;
    version: number;
    etag: string;
    start: number;
    bytes: number;
    size: number;
  };
  "bundles.version.created": {
    bundleId: string;
    versionId: string;
    number: number;
    files: number;
    size: number;
  };
  "bundles.version.released": { bundleId: string; versionId: string; number: number };
  "bundles.assignment.created": { assignmentId: string; bundleId: string; recipientId: string };
  "bundles.assignment.updated": { assignmentId: string; changes: string[] };
  "bundles.assignment.deleted": { assignmentId: string; bundleId: string; recipientId: string };
  /** the recipient confirmed having read the sender's message (the first time only) */
  "bundles.assignment.acknowledged": { assignmentId: string; bundleId: string; recipientId: string };
  "bundles.download.granted": {
    grantId: string;
    assignmentId: string;
    bundleId: string;
    recipientId: string;
    versionId: string;
    newDevice: boolean;
  };
  "bundles.download.denied": { bundleId: string; recipientId: string; reason: string };
  "bundles.download.started": { via: "grant" | "link"; grantId: string; bundleId: string; versionId: string };
  "bundles.link.created": { linkId: string; bundleId: string; maxUses: number; expiresAt: string };
  "bundles.link.revoked": { linkId: string; bundleId: string };
  "pipelines.pipeline.saved": { pipelineId: string; name: string; version: number };
  "pipelines.pipeline.deleted": { pipelineId: string; name: string };
  "pipelines.pipeline.enabled": { pipelineId: string; name: string };
  "pipelines.pipeline.disabled": { pipelineId: string; name: string };
  /** a trigger fired: a run was created in the same transaction */
  "pipelines.trigger.fired": {
    pipelineId: string;
    name: string;
    triggerId: string;
    kind: string;
    runId: string;
  };
  /** the owner acted on a trigger (dead-man check-in, pause, resume) */
  "pipelines.trigger.controlled": { pipelineId: string; name: string; triggerId: string; action: string };
  "pipelines.run.started": { runId: string; pipelineId: string; name: string; triggerId: string };
  "pipelines.run.succeeded": { runId: string; pipelineId: string; name: string };
  "pipelines.run.failed": { runId: string; pipelineId: string; name: string; errorCode: string };
  /** an invocation of an action (ActionInvocation): one per attempt */
  "pipelines.step.started": { runId: string; stepId: string; uses: string; attempt: number };
  "pipelines.step.succeeded": { runId: string; stepId: string; uses: string; attempt: number };
  "pipelines.step.failed": {
    runId: string;
    stepId: string;
    uses: string;
    attempt: number;
    errorCode: string;
    retryAt: string | null;
  };
  "pipelines.step.skipped": { runId: string; stepId: string; reason: string };
  /**
   * An upgrade also says what became of the enabled capabilities: `newPermissions` (what the new version asks for
   * that the old did not), `kept` (still enabled), `awaitingApproval` (were enabled, wait disabled), `removed`.
   */
  "plugins.plugin.installed": {
    name: string;
    version: string;
    integrity: string;
    source: string;
    upgradedFrom?: string;
    newPermissions?: { name: string; hosts: string[]; reason: string }[];
    kept?: string[];
    awaitingApproval?: string[];
    removed?: string[];
    /** who signed the package and whether the key is trusted (ADR 042); warnings: installed under "warn" */
    signature?: PluginSignatureData;
    warnings?: string[];
  };
  /** an install refused for its signature: broken, unsigned or untrusted under "require", or another key */
  "plugins.plugin.refused": {
    name: string;
    version: string;
    integrity: string;
    source: string;
    reason: string;
    signature: PluginSignatureData;
  };
  "plugins.key.trusted": { keyId: string; fingerprint: string; name: string };
  "plugins.key.removed": { keyId: string; fingerprint: string; name: string };
  /**
   * capabilities enabled or disabled, or egress hosts approved (`approvedHosts`: the whole new list); `disabledInUse`:
   * capabilities disabled with force while enabled pipelines use them
   */
  "plugins.plugin.updated": {
    name: string;
    changes: string[];
    approvedHosts?: string[];
    disabledInUse?: { uses: string; pipelines: string[] }[];
  };
  "plugins.plugin.uninstalled": { name: string; version: string };
  "plugins.secret.set": { plugin: string; secret: string };
  "plugins.secret.deleted": { plugin: string; secret: string };
  "files.file.created": { fileId: string; name: string; size: number; sha256: string };
  "files.file.updated": { fileId: string; changes: string[] };
  "files.file.deleted": { fileId: string; name: string };
  "files.file.downloaded": { fileId: string; name: string };
  /** a new content was stored (not emitted when an upload is deduplicated onto an existing blob) */
  "storage.blob.created": { blobId: string; size: number };
  /** the last reference was dropped and the content destroyed */
  "storage.blob.deleted": { blobId: string; size: number };
}

export type EventType = keyof EventCatalogue;
export type EventPayload<T extends EventType> = EventCatalogue[T];

/**
 * Accepts a list only if it names every key of `EventCatalogue`; a missing type is a compile error
 * naming it (`… is not assignable to { missingEventTypes: "x.y.z" }`).
 */
function listingEveryType<const L extends readonly EventType[]>(
  list: L &
    ([Exclude<EventType, L[number]>] extends [never]
      ? unknown
      : { missingEventTypes: Exclude<EventType, L[number]> }),
): L {
  return list;
}

/** Runtime list of the catalogue, for validation and docs. Must list every key of the interface above. */
export const EVENT_TYPES = listingEveryType([
  "auth.user.created",
  "auth.user.invited",
  "auth.user.role-changed",
  "auth.user.deactivated",
  "auth.user.reactivated",
  "auth.signin.succeeded",
  "auth.signin.failed",
  "auth.magic-link.sent",
  "auth.otp.sent",
  "auth.otp.verified",
  "auth.otp.failed",
  "auth.session.revoked",
  "auth.token.created",
  "auth.token.rotated",
  "auth.token.revoked",
  "auth.device.requested",
  "auth.device.approved",
  "auth.device.denied",
  "auth.permission.granted",
  "auth.permission.revoked",
  "auth.recipient.created",
  "auth.recipient.updated",
  "auth.recipient.deleted",
  "auth.recipient-device.forgotten",
  "auth.recipient-device.renamed",
  "auth.pairing.started",
  "auth.pairing.claimed",
  "auth.pairing.approved",
  "auth.pairing.denied",
  "bundles.bundle.created",
  "bundles.bundle.updated",
  "bundles.bundle.deleted",
  "bundles.bundle.content-changed",
  "bundles.bundle.exported",
  "bundles.version.created",
  "bundles.version.released",
  "bundles.assignment.created",
  "bundles.assignment.updated",
  "bundles.assignment.deleted",
  "bundles.assignment.acknowledged",
  "bundles.download.granted",
  "bundles.download.denied",
  "bundles.download.started",
  "bundles.link.created",
  "bundles.link.revoked",
  "pipelines.pipeline.saved",
  "pipelines.pipeline.deleted",
  "pipelines.pipeline.enabled",
  "pipelines.pipeline.disabled",
  "pipelines.trigger.fired",
  "pipelines.trigger.controlled",
  "pipelines.run.started",
  "pipelines.run.succeeded",
  "pipelines.run.failed",
  "pipelines.step.started",
  "pipelines.step.succeeded",
  "pipelines.step.failed",
  "pipelines.step.skipped",
  "plugins.plugin.installed",
  "plugins.plugin.updated",
  "plugins.plugin.uninstalled",
  "plugins.secret.set",
  "plugins.secret.deleted",
  "plugins.plugin.refused",
  "plugins.key.trusted",
  "plugins.key.removed",
  "files.file.created",
  "files.file.updated",
  "files.file.deleted",
  "files.file.downloaded",
  "storage.blob.created",
  "storage.blob.deleted",
]);

const known = new Set<string>(EVENT_TYPES);
export function isEventType(value: string): value is EventType {
  return known.has(value);
}
