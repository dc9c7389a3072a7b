// The named schemas clients reuse; each has a type of the same name (`schemas.Bundle` as a type or a value).
export { Assignment } from "./operations/assignments.js";
export { Bundle } from "./operations/bundles.js";
export { DownloadTokenParams } from "./operations/downloads.js";
export { FileObject } from "./operations/files.js";
export { CreatedPublishLink, PublishLink } from "./operations/links.js";
export {
  DownloadGrant,
  PortalBundle,
  PortalBundleDetail,
  PortalDownload,
  PortalRecipient,
} from "./operations/portal.js";
export {
  Recipient,
  RecipientExportRow,
  RecipientImport,
  RecipientImportResult,
  RecipientRow,
} from "./operations/recipients.js";
