// `pnpm --filter @latchflow/portal exec tsx scripts/icons.ts`: draws the app icons of the web app manifest
// (static/icons/*.png) from the same shapes as favicon.svg: a padlock on the accent colour. No image library and
// no third-party fetch: shapes are rasterised here (4×4 supersampling) and written as PNG with node:zlib.
// The PNGs are committed; run this again only when the icon changes.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32, deflateSync } from "node:zlib";

const ACCENT = [0x0b, 0x5c, 0xad] as const;
const WHITE = [0xff, 0xff, 0xff] as const;

/** Coverage of one point in the 32-unit design space of favicon.svg: 0 background, 1 shackle/body, -1 outside. */
function shape(x: number, y: number, maskable: boolean): number {
  // a maskable icon fills the whole square (the platform crops it); the lock keeps to the 80 % safe zone
  const scale = maskable ? 0.62 : 0.8;
  const u = 16 + (x - 16) / scale;
  const v = 16 + (y - 16) / scale + (maskable ? 0.5 : 0);
  const inBack = maskable || roundRect(x, y, 0, 0, 32, 32, 6);
  if (!inBack) return -1;
  if (roundRect(u, v, 8, 14, 16, 11, 2)) return 1;
  // the shackle: a 2.5-wide stroke along x=10 and x=22 from y=14 up to 11, joined by a half circle of radius 6
  const half = 1.25;
  if (v <= 14.5 && v >= 11 && (Math.abs(u - 10) <= half || Math.abs(u - 22) <= half)) return 1;
  if (v < 11) {
    const d = Math.hypot(u - 16, v - 11);
    if (Math.abs(d - 6) <= half) return 1;
  }
  return 0;
}

function roundRect(x: number, y: number, rx: number, ry: number, w: number, h: number, r: number): boolean {
  if (x < rx || y < ry || x > rx + w || y > ry + h) return false;
  const cx = Math.min(Math.max(x, rx + r), rx + w - r);
  const cy = Math.min(Math.max(y, ry + r), ry + h - r);
  return Math.hypot(x - cx, y - cy) <= r;
}

function draw(size: number, maskable: boolean): Buffer {
  const S = 4;
  const rows: Buffer[] = [];
  for (let py = 0; py < size; py++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let px = 0; px < size; px++) {
      let fg = 0;
      let bg = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const c = shape(((px + (sx + 0.5) / S) / size) * 32, ((py + (sy + 0.5) / S) / size) * 32, maskable);
          if (c === 1) fg++;
          else if (c === 0) bg++;
        }
      }
      const alpha = (fg + bg) / (S * S);
      const mix = fg + bg === 0 ? 0 : fg / (fg + bg);
      const o = 1 + px * 4;
      for (let i = 0; i < 3; i++) row[o + i] = Math.round(ACCENT[i]! + (WHITE[i]! - ACCENT[i]!) * mix);
      row[o + 3] = Math.round(alpha * 255);
    }
    rows.push(row);
  }
  return png(size, Buffer.concat(rows));
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

function png(size: number, raw: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const out = join(import.meta.dirname, "../static/icons");
for (const [name, size, maskable] of [
  ["icon-192.png", 192, false],
  ["icon-512.png", 512, false],
  ["maskable-192.png", 192, true],
  ["maskable-512.png", 512, true],
  ["apple-touch-icon.png", 180, true],
] as const) {
  writeFileSync(join(out, name), draw(size, maskable));
}
process.stdout.write(`icons written to ${out}\n`);
