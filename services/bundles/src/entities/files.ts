import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

/** A logical file: a name, a folder and metadata pointing at one storage blob (which it holds a reference to). */
export const FileEntry = defineEntity({
  name: "FileEntry",
  tableName: "files",
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    name: p.string().length(255),
    folder: p.string().length(1024).default("/"),
    contentType: p.string().length(255).fieldName("content_type"),
    size: p.bigint("number"),
    sha256: p.string().length(64),
    crc32: p.bigint("number"),
    blobId: p.string().length(64).fieldName("blob_id"),
    /** JSON object of string → string */
    metadata: p.text().default("{}"),
    createdAt: p.datetime().fieldName("created_at"),
    updatedAt: p.datetime().fieldName("updated_at"),
  },
});
export type FileEntry = InferEntity<typeof FileEntry>;
