import { FormatError } from '../core/errors.js';

/**
 * Entry names. Zip names are UTF-8 when flag bit 11 is set, else code page 437 (what Python's
 * zipfile, and so numpy, assumes). Names are only ever map keys here, never paths we write to,
 * but a name with a `..` segment would escape the target folder of anyone who unzips the file,
 * so we neither read nor write one. A leading `/` is allowed: TPU-MLIR keys tensors by ONNX
 * names such as `/backbone/conv1/Conv_output_0`.
 */

export const UTF8_FLAG = 0x800;

const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

export function decodeEntryName(raw: Uint8Array, flags: number): string {
  if (flags & UTF8_FLAG) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      throw new FormatError('zip entry name is marked UTF-8 but is not valid UTF-8', 'the archive is corrupt');
    }
  }
  let s = '';
  for (const b of raw) s += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80];
  return s;
}

/** Encodes a name as Python's zipfile does: ASCII as is, anything else UTF-8 with the flag set. */
export function encodeEntryName(name: string): { raw: Uint8Array; flags: number } {
  const raw = new TextEncoder().encode(name);
  const ascii = raw.every((b) => b < 0x80);
  return { raw, flags: ascii ? 0 : UTF8_FLAG };
}

/** Why a name is unsafe, or undefined when it is fine. */
export function unsafeNameReason(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.includes('\0')) return 'it contains a NUL character';
  if (name.split(/[/\\]/).includes('..')) return 'it contains a ".." path segment (path traversal)';
  return undefined;
}
