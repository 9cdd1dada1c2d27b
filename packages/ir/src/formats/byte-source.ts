import { FormatError } from '../core/errors.js';

/**
 * Readers of npy/npz are written once, as generators that ask for byte ranges ("sans-IO"), and
 * run either over bytes in memory (synchronously) or over a file (asynchronously, reading only
 * the ranges asked for: the central directory, headers, and the arrays wanted).
 */
export interface ReadRequest {
  readonly offset: number;
  readonly length: number;
  /** Read into this buffer (of exactly `length` bytes) instead of returning a new one. */
  readonly into?: Uint8Array;
}

/** A reading job: yields ranges it needs, receives their bytes, returns its result. */
export type ByteReader<T> = Generator<ReadRequest, T, Uint8Array>;

/** Runs a job over bytes in memory. Reads without `into` get views, not copies: jobs must not keep or modify them. */
export function runOnBytes<T>(job: ByteReader<T>, bytes: Uint8Array): T {
  let step = job.next(new Uint8Array(0));
  while (!step.done) {
    const { offset, length, into } = step.value;
    checkRange(offset, length, bytes.length);
    const view = bytes.subarray(offset, offset + length);
    if (into) into.set(view);
    step = job.next(into ?? view);
  }
  return step.value;
}

/** Reads into `into` from `position`; resolves to the number of bytes read (0 at end of file). */
export type ReadAt = (into: Uint8Array, position: number) => Promise<number>;

/** Node caps one read at 2 GiB; bigger requests are filled in pieces. */
const MAX_READ = 1 << 30;

/** Runs a job over a file of `size` bytes, reading each range asked for. */
export async function runOnFile<T>(job: ByteReader<T>, size: number, readAt: ReadAt): Promise<T> {
  let step = job.next(new Uint8Array(0));
  while (!step.done) {
    const { offset, length, into } = step.value;
    checkRange(offset, length, size);
    const buf = into ?? new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const n = await readAt(buf.subarray(done, Math.min(length, done + MAX_READ)), offset + done);
      // The file shrank after we took its size.
      if (n <= 0) throw new FormatError(`unexpected end of file at byte ${offset + done} of ${size}`, 'the file changed while being read; try again');
      done += n;
    }
    step = job.next(buf);
  }
  return step.value;
}

/** Jobs check every range against the real size before asking; this is the backstop. */
function checkRange(offset: number, length: number, size: number): void {
  if (!(Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 && offset + length <= size)) {
    throw new FormatError(`a read of ${length} bytes at ${offset} runs past the end of the data (${size} bytes)`, 'the file is truncated or damaged');
  }
}
