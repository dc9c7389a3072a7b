import { Bundle, BundleObject, BundleVersion } from "./bundles.js";
import { FileEntry } from "./files.js";
import { Assignment, DownloadGrant, PublishLink } from "./releases.js";

export * from "./bundles.js";
export * from "./files.js";
export * from "./releases.js";

export const BUNDLES_ENTITIES = [
  Bundle,
  BundleObject,
  BundleVersion,
  FileEntry,
  Assignment,
  DownloadGrant,
  PublishLink,
];
