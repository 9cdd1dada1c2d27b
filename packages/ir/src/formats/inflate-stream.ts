import { Inflate } from 'fflate';
import { FormatError } from '../core/errors.js';
import type { ByteReader } from './byte-source.js';

/**
 * Inflates a raw deflate stream piece by piece, handing output to a sink that may refuse more
 * (past the declared size: a zip bomb) or stop early (only the npy header was wanted). Small input
 * pieces bound the work done and memory used before the sink can object: one 16 KiB piece
 * inflates to at most ~16 MiB. (fflate's one-shot inflateSync would run a bomb to the end.)
 */

/** Input pushed per step. Measured: smaller pieces are also faster with fflate's streaming buffers. */
const PIECE = 16 * 1024;
/** Input read per request, so a file is not read 16 KiB at a time. */
const READ = 1024 * 1024;

/** `sink` receives each output chunk (valid only during the call); returning false stops inflation. */
export type InflateSink = (chunk: Uint8Array) => boolean;

/** Inflates the `length` compressed bytes at `offset`. Resolves true when the stream was inflated to its end. */
export function* inflateAt(offset: number, length: number, sink: InflateSink): ByteReader<boolean> {
  let wanted = true;
  const inflater = new Inflate((chunk) => {
    if (wanted && chunk.length > 0) wanted = sink(chunk);
  });
  if (length === 0) {
    push(inflater, new Uint8Array(0), true);
    return wanted;
  }
  for (let readAt = 0; readAt < length && wanted; readAt += READ) {
    const input = yield { offset: offset + readAt, length: Math.min(READ, length - readAt) };
    for (let p = 0; p < input.length && wanted; p += PIECE) {
      const piece = input.subarray(p, Math.min(input.length, p + PIECE));
      push(inflater, piece, readAt + p + piece.length === length);
    }
  }
  return wanted;
}

function push(inflater: Inflate, piece: Uint8Array, final: boolean): void {
  try {
    inflater.push(piece, final);
  } catch (e) {
    if (e instanceof FormatError) throw e; // from the sink
    const why = e instanceof Error ? e.message : String(e);
    throw new FormatError(`deflate data is corrupt: ${why}`, 'the archive is damaged; write it again');
  }
}
