import { open, type FileHandle } from 'node:fs/promises';
import type { NdArray } from '../core/dtype.js';
import { FormatError, UserError } from '../core/errors.js';
import { atomicWriteFile } from './atomic-write.js';
import { runOnFile, type ByteReader } from './byte-source.js';
import { npyChunks, readNpyAt, type ParseNpyOptions } from './npy.js';
import { listNpzJob, npzChunks, readNpzJob, type NpzEntries, type NpzEntryInfo, type ReadNpzOptions, type WriteNpzOptions } from './npz.js';

/**
 * npy/npz on disk. Reads fetch only the ranges they need (central directory, headers, the arrays
 * asked for), straight into the arrays' buffers; writes stream to a temporary file renamed into
 * place (atomicWriteFile). Errors name the file.
 */

export async function loadNpz(path: string, opts: ReadNpzOptions = {}): Promise<Map<string, NdArray>> {
  return withFile(path, (size) => readNpzJob(size, opts));
}

/** Names, dtypes and shapes of an npz's arrays, from their headers: no array data is read or inflated. */
export async function listNpz(path: string): Promise<NpzEntryInfo[]> {
  return withFile(path, (size) => listNpzJob(size));
}

export async function loadNpy(path: string, opts: ParseNpyOptions = {}): Promise<NdArray> {
  return (await withFile(path, (size) => readNpyAt(0, size, opts, false))).array;
}

export async function saveNpz(path: string, entries: NpzEntries, opts: WriteNpzOptions = {}): Promise<void> {
  await atomicWriteFile(path, npzChunks(entries, opts));
}

export async function saveNpy(path: string, a: NdArray): Promise<void> {
  await atomicWriteFile(path, npyChunks(a));
}

async function withFile<T>(path: string, job: (size: number) => ByteReader<T>): Promise<T> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw ioError(path, e);
  }
  try {
    const { size } = await fh.stat();
    return await runOnFile(job(size), size, async (into, position) => (await fh.read(into, 0, into.length, position)).bytesRead);
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError(`${path}: ${e.message}`, e.hint);
    throw e;
  } finally {
    await fh.close();
  }
}

function ioError(path: string, e: unknown): unknown {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return new UserError('E_IO', `${path}: no such file`, 'check the path');
  if (code === 'EACCES' || code === 'EPERM') return new UserError('E_IO', `${path}: permission denied`, 'check the file permissions');
  if (code === 'EISDIR') return new UserError('E_IO', `${path}: is a directory, not a file`, 'give the path of an .npz/.npy file');
  return e;
}
