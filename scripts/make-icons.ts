/**
 * Draws the two Teams app icons (manifest/color.png 192×192, manifest/outline.png 32×32) with pngjs.
 * Run with `npx tsx scripts/make-icons.ts`; the PNGs are committed, and a test checks they match this drawing.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The few pngjs members we use (pngjs ships no type declarations). */
interface PngImage {
  width: number;
  height: number;
  data: Buffer;
}
interface PngModule {
  PNG: {
    new (options: { width: number; height: number }): PngImage;
    sync: { read(buffer: Buffer): PngImage; write(png: PngImage): Buffer };
  };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PNG } = require('pngjs') as PngModule;

/** A decoded RGBA image: `data` holds width × height × 4 bytes, row by row. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Buffer;
}

/** Decodes a PNG file's bytes to RGBA pixels. */
export function decodePng(bytes: Buffer): RgbaImage {
  const png = PNG.sync.read(bytes);
  return { width: png.width, height: png.height, data: png.data };
}

/** Encodes RGBA pixels as PNG bytes. */
export function encodePng(image: RgbaImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height });
  image.data.copy(png.data);
  return PNG.sync.write(png);
}

/** The app's accent colour (Québec government blue), shared with the manifest's accentColor. */
export const ACCENT_COLOR = '#095797';

// Local bindings: global lookups are slow inside jest's sandbox, and these run millions of times.
const { abs, hypot, max, min, round, SQRT2 } = Math;

type Rgb = readonly [number, number, number];
/** A shape tested at sub-pixel sample points; painted in order, later layers on top. */
interface Layer {
  color: Rgb;
  inside: (x: number, y: number) => boolean;
}

const WHITE: Rgb = [255, 255, 255];
const hex = (h: string): Rgb => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)) as unknown as Rgb;

/** Signed distance to an axis-aligned box with rounded corners (negative inside). */
function roundedBox(x: number, y: number, x0: number, y0: number, x1: number, y1: number, r: number): number {
  const qx = abs(x - (x0 + x1) / 2) - ((x1 - x0) / 2 - r);
  const qy = abs(y - (y0 + y1) / 2) - ((y1 - y0) / 2 - r);
  return hypot(max(qx, 0), max(qy, 0)) + min(max(qx, qy), 0) - r;
}

/** Distance to the segment from (ax, ay) to (bx, by). */
function segment(x: number, y: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = max(0, min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
  return hypot(x - ax - t * dx, y - ay - t * dy);
}

/** Distance to a polyline given as [x0, y0, x1, y1, …]. */
function polyline(x: number, y: number, pts: number[]): number {
  let d = Number.POSITIVE_INFINITY;
  for (let i = 0; i + 3 < pts.length; i += 2) d = min(d, segment(x, y, pts[i], pts[i + 1], pts[i + 2], pts[i + 3]));
  return d;
}

/** A sheet of paper whose top-right corner is folded down by `fold` pixels. */
interface Sheet {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  radius: number;
  fold: number;
}

/** Signed distance to the sheet's silhouette (the box minus its folded corner). */
function sheetDistance(x: number, y: number, s: Sheet): number {
  const box = roundedBox(x, y, s.x0, s.y0, s.x1, s.y1, s.radius);
  const cut = (x - y - (s.x1 - s.fold - s.y0)) / SQRT2;
  return max(box, cut);
}

/** Renders layers (the last one on top) with n×n samples per pixel, so edges are anti-aliased. */
function rasterize(size: number, layers: Layer[], samples = 8): RgbaImage {
  const data = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let covered = 0;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const x = px + (sx + 0.5) / samples;
          const y = py + (sy + 0.5) / samples;
          let color: Rgb | undefined;
          for (let i = layers.length - 1; i >= 0 && !color; i--) if (layers[i].inside(x, y)) color = layers[i].color;
          if (color) {
            covered++;
            r += color[0];
            g += color[1];
            b += color[2];
          }
        }
      }
      const o = (py * size + px) * 4;
      if (covered > 0) {
        data[o] = round(r / covered);
        data[o + 1] = round(g / covered);
        data[o + 2] = round(b / covered);
        data[o + 3] = round((255 * covered) / (samples * samples));
      }
    }
  }
  return { width: size, height: size, data };
}

/** The 192×192 colour icon: a blue rounded square, a white sheet with text lines, and a green check badge. */
export function drawColorIcon(): RgbaImage {
  const sheet: Sheet = { x0: 50, y0: 34, x1: 134, y1: 150, radius: 9, fold: 26 };
  const badge = { cx: 132, cy: 136, r: 30 };
  const textLines = [
    [68, 70, 112, 70],
    [68, 88, 116, 88],
    [68, 106, 96, 106],
  ];
  return rasterize(192, [
    { color: hex(ACCENT_COLOR), inside: (x, y) => roundedBox(x, y, 0, 0, 192, 192, 40) <= 0 },
    { color: WHITE, inside: (x, y) => sheetDistance(x, y, sheet) <= 0 },
    {
      color: hex('#B9D2E8'),
      inside: (x, y) => {
        // The folded flap: the triangle under the cut corner.
        const fx = sheet.x1 - sheet.fold;
        const fy = sheet.y0 + sheet.fold;
        return x >= fx && y <= fy && x - y <= fx - sheet.y0;
      },
    },
    { color: hex('#9DB9D3'), inside: (x, y) => textLines.some((l) => segment(x, y, l[0], l[1], l[2], l[3]) <= 4.5) },
    { color: WHITE, inside: (x, y) => hypot(x - badge.cx, y - badge.cy) <= badge.r + 6 },
    { color: hex('#1E8449'), inside: (x, y) => hypot(x - badge.cx, y - badge.cy) <= badge.r },
    { color: WHITE, inside: (x, y) => polyline(x, y, [118, 137, 128, 147, 146, 127]) <= 5 },
  ]);
}

/** The 32×32 outline icon: the same sheet and check mark drawn as white strokes on transparency. */
export function drawOutlineIcon(): RgbaImage {
  const sheet: Sheet = { x0: 7, y0: 3, x1: 25, y1: 29, radius: 2, fold: 6 };
  const stroke = 1;
  return rasterize(32, [
    {
      color: WHITE,
      inside: (x, y) =>
        abs(sheetDistance(x, y, sheet) + stroke) <= stroke ||
        polyline(x, y, [sheet.x1 - sheet.fold, sheet.y0 + 1, sheet.x1 - sheet.fold, sheet.y0 + sheet.fold, sheet.x1 - 1, sheet.y0 + sheet.fold]) <= stroke ||
        polyline(x, y, [11, 18, 14.5, 21.5, 21, 14]) <= 1.3,
    },
  ]);
}

/** Where the committed icons live. */
export const ICON_FILES = {
  color: path.join(__dirname, '..', 'manifest', 'color.png'),
  outline: path.join(__dirname, '..', 'manifest', 'outline.png'),
} as const;

if (require.main === module) {
  fs.writeFileSync(ICON_FILES.color, encodePng(drawColorIcon()));
  fs.writeFileSync(ICON_FILES.outline, encodePng(drawOutlineIcon()));
  console.log(`Icons written: ${ICON_FILES.color}, ${ICON_FILES.outline}`);
}
