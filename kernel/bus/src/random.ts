import { randomFillSync } from "node:crypto";

const pool = new Uint8Array(4096);
let at = pool.length;

/**
 * A fraction in [0, 1) made of one byte of the OS's CSPRNG, the shape of PRNG `ulid` takes. ulid's own asks
 * `crypto.getRandomValues` for a fresh 1-byte array per character (16 calls per id); this takes the bytes from
 * a pool refilled with one `randomFillSync` every 4096 bytes: same source, a fraction of the calls (ADR 047).
 */
export function pooledRandom(): number {
  if (at === pool.length) {
    randomFillSync(pool);
    at = 0;
  }
  return (pool[at++] as number) / 256;
}
