import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes a file so that readers see either the old file or the complete new one, never a part:
 * the data goes to `PATH.tmp-RANDOM` in the same directory (so the rename stays on one file
 * system), is flushed to disk, then renamed over PATH. On any failure the temporary file is
 * removed and PATH is left as it was.
 */
export async function atomicWriteFile(
  path: string,
  data: Uint8Array | string | Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  // 'wx': fail rather than write through a file (or link) someone else put at the temporary name.
  const fh = await open(tmp, 'wx');
  let renamed = false;
  try {
    try {
      if (typeof data === 'string') await writeAll(fh, new TextEncoder().encode(data));
      else if (data instanceof Uint8Array) await writeAll(fh, data);
      else for await (const chunk of data) await writeAll(fh, chunk);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    renamed = true;
    await syncDirectory(dirname(path));
  } finally {
    if (!renamed) await unlink(tmp).catch(() => undefined);
  }
}

/** Node writes at most 2 GiB per call, and may write less than asked. */
const MAX_WRITE = 1 << 30;

async function writeAll(fh: import('node:fs/promises').FileHandle, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length; ) {
    const { bytesWritten } = await fh.write(bytes, done, Math.min(MAX_WRITE, bytes.length - done));
    done += bytesWritten;
  }
}

/** Makes the rename itself durable. Not possible on every platform (Windows cannot open a directory), hence best effort. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // best effort: the data itself is already on disk
  }
}
