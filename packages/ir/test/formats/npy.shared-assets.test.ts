// Every .npy in the shared test assets (written by numpy/torch tooling) loads, and re-encodes to
// the same bytes. Skips when the assets are absent (set TPUQ_ASSETS to their folder).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeNpy, parseNpy } from '../../src/formats/index.js';

const root = resolve(fileURLToPath(new URL('../../../../', import.meta.url)));
const assets = process.env.TPUQ_ASSETS ?? join(root, '..', 'shared', 'assets');

function npyFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.npy'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

const files = existsSync(assets) ? npyFiles(assets) : [];

describe.skipIf(files.length === 0)(`shared assets .npy files (${assets})`, () => {
  it.each(files.map((f) => [f.slice(assets.length + 1), f]))('%s', (_, file) => {
    const bytes = new Uint8Array(readFileSync(file));
    const a = parseNpy(bytes);
    expect(a.data.length).toBe(a.shape.reduce((x, y) => x * y, 1));
    expect(Buffer.from(encodeNpy(a)).equals(bytes)).toBe(true); // (toEqual is very slow on MBs)
  });
});

if (files.length === 0) console.warn(`skipping shared-asset npy tests: no assets at ${assets} (set TPUQ_ASSETS)`);
