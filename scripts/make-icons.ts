/**
 * Draws the app and tray icons (anti-aliased discs, one colour per tray state) into build/.
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
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
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

const out = path.join(import.meta.dirname, '..', 'build');
fs.mkdirSync(path.join(out, 'tray'), { recursive: true });
const states: Record<string, Rgb> = {
  clear: [46, 160, 67],
  warning: [219, 154, 4],
  critical: [207, 34, 46],
  problem: [130, 80, 223],
  paused: [110, 119, 129],
};
for (const [state, colour] of Object.entries(states)) {
  fs.writeFileSync(path.join(out, 'tray', `${state}.png`), statusLight(16, colour, false));
  fs.writeFileSync(path.join(out, 'tray', `${state}@2x.png`), statusLight(32, colour, false));
}
fs.writeFileSync(path.join(out, 'icon.png'), statusLight(512, [207, 34, 46], true));
console.log(`icons written to ${out}`);
