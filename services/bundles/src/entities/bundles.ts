import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

export const Bundle = defineEntity({
  name: "Bundle",
  tableName: "bundles",
  uniques: [{ properties: ["tenant", "name"] }],
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    name: p.string().length(200),
    description: p.text().default(""),
    enabled: p.boolean().default(true),
    /** the version new downloads get; null while the bundle has never had content */
    currentVersionId: p.string().length(26).nullable().fieldName("current_version_id"),
    createdAt: p.datetime().fieldName("created_at"),
    updatedAt: p.datetime().fieldName("updated_at"),
  },
});
export type Bundle = InferEntity<typeof Bundle>;

/** A file inside a bundle, with its path inside the archive and its position. */
export const BundleObject = defineEntity({
  name: "BundleObject",
  tableName: "bundle_objects",
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    bundleId: p.string().length(26).fieldName("bundle_id"),
    fileId: p.string().length(26).fieldName("file_id"),
    path: p.string().length(1024),
    position: p.integer(),
  },
});
export type BundleObject = InferEntity<typeof BundleObject>;

/**
 * An immutable snapshot of a bundle's content: the archive a download serves. It holds one storage
 * reference per member blob until it is released (superseded and no live grant points at it).
 */
export const BundleVersion = defineEntity({
  name: "BundleVersion",
  tableName: "bundle_versions",
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    bundleId: p.string().length(26).fieldName("bundle_id"),
    number: p.integer(),
    /** JSON: [{ fileId, blobId, name, size, crc32 }] in archive order */
    manifest: p.text(),
    size: p.bigint("number"),
    etag: p.string().length(100),
    files: p.integer(),
    createdAt: p.datetime().fieldName("created_at"),
    releasedAt: p.datetime().nullable().fieldName("released_at"),
  },
});
export type BundleVersion = InferEntity<typeof BundleVersion>;

export interface ManifestEntry {
  fileId: string;
  blobId: string;
  name: string;
  size: number;
  crc32: number;
}
