// Result pictures: the decoded image with an SVG overlay (text, boxes) composited by sharp and
// written atomically (temporary file, then rename). Format from the --output extension.
import { extname } from 'node:path';
import sharp from 'sharp';
import type { ImageU8 } from '@tpu-quant/calib';
import { atomicWriteFile, UserError } from '@tpu-quant/ir';
import type { Detection } from './yolo-decode.js';

const FORMATS: Record<string, 'jpeg' | 'png' | 'webp'> = { '.jpg': 'jpeg', '.jpeg': 'jpeg', '.png': 'png', '.webp': 'webp' };
const FONT = 'DejaVu Sans Mono, Liberation Mono, monospace';
/** a monospace glyph is about 0.6 em wide: enough to size the text's background box */
const CHAR_W = 0.6;

/** Refused before any work, so a bad --output does not surface after the model has run. */
export function checkOutputFormat(path: string): void {
  if (FORMATS[extname(path).toLowerCase()] === undefined) {
    throw new UserError('E_BAD_FLAG', `--output ${path}: cannot write "${extname(path) || '(no extension)'}" images`, 'use a .jpg, .png or .webp file name');
  }
}

/** The seed's classify picture: a black box at the top-left with "Top-5" and one line per class. */
export function classificationOverlay(width: number, height: number, lines: readonly string[]): string {
  const size = Math.max(12, Math.round(Math.min(width, height) / 32));
  const step = Math.round(size * 1.5);
  const all = ['Top-5', ...lines];
  const boxW = Math.min(width, Math.ceil(Math.max(...all.map((l) => l.length)) * size * CHAR_W + size));
  const text = all.map((l, i) => `<text x="${size / 2}" y="${(i + 1) * step - size * 0.4}">${escapeXml(l)}</text>`).join('');
  return svg(width, height, `<rect x="0" y="0" width="${boxW}" height="${all.length * step + size * 0.3}" fill="black"/>`
    + `<g font-family="${FONT}" font-size="${size}" fill="white">${text}</g>`);
}

/** A 2-px (or thicker on large pictures) box per detection in its class colour, with a label box. */
export function detectionOverlay(width: number, height: number, dets: readonly Detection[], label: (d: Detection) => string): string {
  const line = Math.max(2, Math.round(Math.min(width, height) / 300));
  const size = Math.max(12, Math.round(Math.min(width, height) / 40));
  // lowest score first, so the best box's label ends on top where labels overlap
  const parts = [...dets].sort((a, b) => a.score - b.score).map((d) => {
    const colour = classColour(d.cls);
    const text = label(d);
    const tw = Math.ceil(text.length * size * CHAR_W + size / 2);
    const th = Math.round(size * 1.3);
    const ty = d.y0 - th >= 0 ? d.y0 - th : d.y0; // above the box, or inside it at the top edge
    return `<rect x="${r(d.x0)}" y="${r(d.y0)}" width="${r(d.x1 - d.x0)}" height="${r(d.y1 - d.y0)}" fill="none" stroke="${colour}" stroke-width="${line}"/>`
      + `<rect x="${r(d.x0)}" y="${r(ty)}" width="${tw}" height="${th}" fill="${colour}"/>`
      + `<text x="${r(d.x0 + size / 4)}" y="${r(ty + size)}" font-family="${FONT}" font-size="${size}" fill="${textColourOn(colour)}">${escapeXml(text)}</text>`;
  });
  return svg(width, height, parts.join(''));
}

/** Writes `image` (BGR / gray / RGBA, as calib decodes it) with `overlay` on top to `path`. */
export async function writeAnnotated(image: ImageU8, overlay: string, path: string): Promise<void> {
  checkOutputFormat(path);
  const rgb = toRgb(image);
  const format = FORMATS[extname(path).toLowerCase()]!;
  const out = await sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width: image.width, height: image.height, channels: 3 } })
    .composite([{ input: Buffer.from(overlay), left: 0, top: 0 }])
    .toFormat(format)
    .toBuffer();
  await atomicWriteFile(path, out);
}

function toRgb(img: ImageU8): Uint8Array {
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  const c = img.channels;
  for (let i = 0; i < n; i++) {
    if (c === 1) out.fill(img.data[i]!, i * 3, i * 3 + 3);
    else if (c === 3) [out[i * 3], out[i * 3 + 1], out[i * 3 + 2]] = [img.data[i * 3 + 2]!, img.data[i * 3 + 1]!, img.data[i * 3]!]; // BGR
    else [out[i * 3], out[i * 3 + 1], out[i * 3 + 2]] = [img.data[i * 4]!, img.data[i * 4 + 1]!, img.data[i * 4 + 2]!]; // RGBA
  }
  return out;
}

/** Well-spread hues by class index (golden-angle steps), so neighbouring classes differ. */
export function classColour(cls: number): string {
  const h = (cls * 137.508) % 360;
  const [s, l] = [0.9, 0.55];
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    const v = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(v * 255).toString(16).padStart(2, '0');
  };
  return `#${f(0)}${f(8)}${f(4)}`; // hsl -> rgb (CSS Color 4's formula), as hex for any SVG renderer
}

/** Black text on light colours, white on dark ones (relative luminance of the #rrggbb colour). */
function textColourOn(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b! > 0.45 ? 'black' : 'white';
}

function svg(width: number, height: number, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${body}</svg>`;
}

function r(v: number): number {
  return Math.round(v * 10) / 10;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[ch]!);
}
