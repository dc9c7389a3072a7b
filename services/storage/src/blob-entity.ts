import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

/**
 * One stored, encrypted content of one tenant. Identical content (same sha256) is stored once per tenant and
 * shared through `refcount`; the object under `driverKey` holds the sealed chunks (see crypto/chunk-cipher.ts).
 */
export const Blob = defineEntity({
  name: "Blob",
  tableName: "blobs",
  uniques: [{ properties: ["tenant", "sha256"] }],
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    /** lowercase hex sha256 of the plaintext */
    sha256: p.string().length(64),
    /** plaintext bytes */
    size: p.bigint("number"),
    chunkSize: p.integer().fieldName("chunk_size"),
    /** base64 of nonce ‖ AES-256-GCM(KEK, DEK) ‖ tag (crypto/key-wrap.ts) */
    wrappedDek: p.string().length(100).fieldName("wrapped_dek"),
    /** id of the master key that wrapped the data key */
    keyId: p.string().length(32).fieldName("key_id"),
    /** hex of the per-blob nonce prefix */
    noncePrefix: p.string().length(32).fieldName("nonce_prefix"),
    driverKey: p.string().length(200).fieldName("driver_key"),
    /** CRC-32 (IEEE, as zlib) of the plaintext, for ZIP archives assembled without re-reading content */
    crc32: p.bigint("number"),
    refcount: p.integer(),
    createdAt: p.datetime().fieldName("created_at"),
  },
});
export type Blob = InferEntity<typeof Blob>;
