// The 64-byte header in front of the flatbuffer (spec/deploy.md §7.1), little-endian:
// magic, header_size, flatbuffers_size, binary_size, 12 reserved words (zero).
import { bmodelError } from './errors.js';

export const BMODEL_MAGIC = 0xff55aaee;
export const BMODEL_HEADER_SIZE = 64;

export interface BmodelHeader {
  flatbuffersSize: number;
  binarySize: number;
}

export function encodeHeader(h: BmodelHeader): Uint8Array {
  const out = new Uint8Array(BMODEL_HEADER_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(0, BMODEL_MAGIC, true);
  v.setUint32(4, BMODEL_HEADER_SIZE, true);
  v.setUint32(8, h.flatbuffersSize, true);
  // binary_size as u64 (its high word is reserved[0] in the u32 reading): both readings agree.
  v.setBigUint64(12, BigInt(h.binarySize), true);
  return out;
}

/** Reads and checks the header against the file length; the sections must fill the file exactly. */
export function decodeHeader(bytes: Uint8Array): BmodelHeader {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 || v.getUint32(0, true) !== BMODEL_MAGIC) {
    const got = bytes.length < 4 ? `only ${bytes.length} bytes` : `magic 0x${v.getUint32(0, true).toString(16).padStart(8, '0')}`;
    throw bmodelError('header', `not a bmodel (${got}; a bmodel starts with magic 0xff55aaee)`);
  }
  if (bytes.length < BMODEL_HEADER_SIZE) {
    throw bmodelError('header', `file is ${bytes.length} bytes, shorter than the ${BMODEL_HEADER_SIZE}-byte header (truncated)`);
  }
  const headerSize = v.getUint32(4, true);
  if (headerSize !== BMODEL_HEADER_SIZE) {
    throw bmodelError('header.header_size', `is ${headerSize}, expected ${BMODEL_HEADER_SIZE}`);
  }
  const flatbuffersSize = v.getUint32(8, true);
  const binarySize = Number(v.getBigUint64(12, true));
  const expected = BMODEL_HEADER_SIZE + flatbuffersSize + binarySize;
  if (expected > bytes.length) {
    throw bmodelError('header', `says ${BMODEL_HEADER_SIZE} + ${flatbuffersSize} (flatbuffer) + ${binarySize} (binary) = ${expected} bytes, the file has ${bytes.length} (truncated)`);
  }
  if (expected < bytes.length) {
    throw bmodelError('header', `says ${BMODEL_HEADER_SIZE} + ${flatbuffersSize} (flatbuffer) + ${binarySize} (binary) = ${expected} bytes, the file has ${bytes.length - expected} more`);
  }
  if (flatbuffersSize < 8) throw bmodelError('header.flatbuffers_size', `is ${flatbuffersSize}, too small for a flatbuffer`);
  return { flatbuffersSize, binarySize };
}
