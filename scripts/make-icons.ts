/**
 * Draws the app icons (PNG, and ICO for Windows) and the tray icons per platform into build/.
 * Run with `node --experimental-strip-types scripts/make-icons.ts` after changing a colour.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

type Rgb = [number, number, number];

function png(size: number, pixel: (x: number, y: number) => [number, number, number, number]): Buffer {
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) raw.set(pixel(x, y), y * (size * 4 + 1) + 1 + x * 4);
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A disc in `fill` with a white ring inside, like a status light. */
function statusLight(size: number, fill: Rgb, ring: boolean): Buffer {
  const center = (size - 1) / 2;
  const radius = size / 2 - size / 16;
  return png(size, (x, y) => {
    const distance = Math.hypot(x - center, y - center);
    const coverage = Math.max(0, Math.min(1, radius - distance + 0.5));
    if (coverage === 0) return [0, 0, 0, 0];
    const inRing = ring && Math.abs(distance - radius * 0.62) < size / 36;
    const colour = inRing ? [255, 255, 255] : fill;
    return [colour[0]!, colour[1]!, colour[2]!, Math.round(coverage * 255)];
  });
}

/**
 * A monochrome glyph per state for macOS template images (the menu bar tints them, so the state
 * must show in the shape): a ring when all is clear, a filled disc for critical, a half disc for
 * warning, a ring with a bar for a problem, two bars for paused.
 */
function templateGlyph(size: number, state: string): Buffer {
  const center = (size - 1) / 2;
  const radius = size / 2 - size / 10;
  const stroke = size / 9;
  return png(size, (x, y) => {
    const distance = Math.hypot(x - center, y - center);
    const disc = Math.max(0, Math.min(1, radius - distance + 0.5));
    const ring = Math.max(0, Math.min(1, stroke / 2 - Math.abs(distance - radius + stroke / 2) + 0.5));
    const vertical = (cx: number) => Math.abs(x - cx) < stroke / 2 + 0.25 && Math.abs(y - center) < radius * 0.55;
    let alpha: number;
    if (state === 'critical') alpha = disc;
    else if (state === 'warning') alpha = Math.max(ring, y >= center ? disc : 0);
    else if (state === 'problem') alpha = Math.max(ring, vertical(center) ? 1 : 0);
    else if (state === 'paused') alpha = vertical(center - size / 7) || vertical(center + size / 7) ? 1 : 0;
    else alpha = ring;
    return [0, 0, 0, Math.round(alpha * 255)];
  });
}

/** A Windows .ico holding PNG images (allowed since Windows Vista). */
function ico(images: Buffer[], sizes: number[]): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  let offset = 6 + 16 * images.length;
  const entries = images.map((image, index) => {
    const entry = Buffer.alloc(16);
    const size = sizes[index]!;
    entry.writeUInt8(size >= 256 ? 0 : size, 0);
    entry.writeUInt8(size >= 256 ? 0 : size, 1);
    entry.writeUInt16LE(1, 4);
    entry.writeUInt16LE(32, 6);
    entry.writeUInt32LE(image.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += image.length;
    return entry;
  });
  return Buffer.concat([header, ...entries, ...images]);
}

const out = path.join(import.meta.dirname, '..', 'build');
const states: Record<string, Rgb> = {
  clear: [46, 160, 67],
  warning: [219, 154, 4],
  critical: [207, 34, 46],
  problem: [130, 80, 223],
  paused: [110, 119, 129],
};
// Tray sizes: Windows 16 px, Linux panels 22–24 px, macOS menu bar 16 pt; each with @2x for HiDPI.
for (const [dir, size] of [
  ['win', 16],
  ['linux', 24],
] as const) {
  fs.mkdirSync(path.join(out, 'tray', dir), { recursive: true });
  for (const [state, colour] of Object.entries(states)) {
    fs.writeFileSync(path.join(out, 'tray', dir, `${state}.png`), statusLight(size, colour, false));
    fs.writeFileSync(path.join(out, 'tray', dir, `${state}@2x.png`), statusLight(size * 2, colour, false));
  }
}
fs.mkdirSync(path.join(out, 'tray', 'mac'), { recursive: true });
for (const state of Object.keys(states)) {
  fs.writeFileSync(path.join(out, 'tray', 'mac', `${state}Template.png`), templateGlyph(16, state));
  fs.writeFileSync(path.join(out, 'tray', 'mac', `${state}Template@2x.png`), templateGlyph(32, state));
}
fs.writeFileSync(path.join(out, 'icon.png'), statusLight(512, [207, 34, 46], true));
const icoSizes = [16, 24, 32, 48, 64, 128, 256];
fs.writeFileSync(
  path.join(out, 'icon.ico'),
  ico(
    icoSizes.map((size) => statusLight(size, [207, 34, 46], true)),
    icoSizes,
  ),
);
console.log(`icons written to ${out}`);
