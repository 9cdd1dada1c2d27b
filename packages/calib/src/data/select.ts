// Which files calibrate: TPU-MLIR's DataSelector (calibration spec §2.1). `--data_list` wins over
// `--dataset`; a dataset folder is listed recursively, filtered by extension, sorted as Python
// sorts strings, shuffled with Python's `random` seeded 1684 and cut to the first `inputNum`.
// Because the seed is fixed, a smaller `inputNum` selects a prefix of the same order.
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '@tpu-quant/ir';
import { PythonRandom } from './python-random.js';

export type SampleKind = 'image' | 'npz' | 'npy';

export interface SampleList {
  kind: SampleKind;
  /** One per sample line: the per-input paths (one path for an npz). */
  entries: string[][];
  /** Things the user should know that are not errors (e.g. fewer files than asked for). */
  warnings?: string[];
}

/**
 * TPU-MLIR's image extensions, plus `webp`, which sharp decodes and OpenCV usually does too, but
 * which TPU-MLIR's DataSelector skips. A dataset holding .webp files therefore selects (and
 * shuffles) differently from TPU-MLIR; without them the selection is identical.
 */
export const IMAGE_EXTENSIONS: readonly string[] = ['jpg', 'bmp', 'png', 'jpeg', 'jfif', 'webp'];

const SEED = 1684;

/** The kind a path is, from its extension (case-insensitive), or undefined. */
export function sampleKindOf(path: string): SampleKind | undefined {
  // Python: name.lower().split('.')[-1], i.e. everything after the last dot of the whole path.
  const lower = path.toLowerCase();
  const ext = lower.slice(lower.lastIndexOf('.') + 1);
  if (ext === 'npz') return 'npz';
  if (ext === 'npy') return 'npy';
  return IMAGE_EXTENSIONS.includes(ext) ? 'image' : undefined;
}

export async function selectSamples(opts: { dataset?: string; dataList?: string; inputNum: number }): Promise<SampleList> {
  const num = opts.inputNum;
  if (!Number.isInteger(num) || num < 0) {
    throw new UserError('E_BAD_FLAG', `--input_num must be a whole number >= 0, got ${num}`, '0 uses every sample');
  }
  const warnings: string[] = [];
  let lines: string[];
  if (opts.dataList) {
    lines = await readDataList(opts.dataList);
    if (num > 0 && num < lines.length) lines = lines.slice(0, num);
    else if (num > lines.length) warnings.push(fewerThanAsked(num, lines.length, `lines in ${opts.dataList}`));
  } else if (opts.dataset) {
    const all = await datasetFiles(opts.dataset);
    if (all.length === 0) {
      throw new UserError('E_DATA', `${opts.dataset} holds no calibration files`, `looked recursively for .${['npz', 'npy', ...IMAGE_EXTENSIONS].join(', .')} files (case-insensitive)`);
    }
    if (num > all.length) warnings.push(fewerThanAsked(num, all.length, `files in ${opts.dataset}`));
    lines = num === 0 || num >= all.length ? all : all.slice(0, num);
  } else {
    throw new UserError('E_BAD_FLAG', 'no calibration data given', 'pass --dataset <folder> or --data_list <file>');
  }
  // A data-list line may name one file per input; a dataset file is one sample (TPU-MLIR would
  // split a file name holding a comma too, and then fail to find the pieces).
  const entries = opts.dataList ? lines.map((l) => l.split(',').map((s) => s.trim())) : lines.map((l) => [l]);
  const label = opts.dataList ? (i: number) => `${opts.dataList}:${i + 1}` : () => opts.dataset!;
  return { ...classify(entries, label), ...(warnings.length > 0 && { warnings }) };
}

/**
 * Every calibration file under `dataset`, in DataSelector's order: all depths (hidden files too,
 * as pathlib's `glob('**\/*')`; symlinks to files count, symlinked folders are not entered), kept
 * by extension, sorted by code point, shuffled with seed 1684. Paths are `join(dataset, relative)`.
 * Folders whose names look like files are skipped (TPU-MLIR would list them, then fail to read
 * them), and an unreadable folder is an error (pathlib skips it silently).
 */
export async function datasetFiles(dataset: string): Promise<string[]> {
  let info;
  try {
    info = await stat(dataset);
  } catch {
    throw new UserError('E_IO', `dataset folder ${dataset} does not exist`, 'check --dataset');
  }
  if (!info.isDirectory()) throw new UserError('E_IO', `--dataset ${dataset} is not a folder`, 'to list files one by one, use --data_list');
  const files: string[] = [];
  await walk(dataset, files);
  files.sort(comparePython);
  new PythonRandom(SEED).shuffle(files);
  return files;
}

async function walk(dir: string, out: string[]): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new UserError('E_IO', `cannot list ${dir}: ${(e as Error).message}`, 'check the folder permissions');
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      await walk(path, out);
      continue;
    }
    if (sampleKindOf(e.name) === undefined) continue;
    // A symlink counts when it points at a file.
    if (e.isSymbolicLink() && !(await stat(path).then((s) => s.isFile(), () => false))) continue;
    out.push(path);
  }
}

/** Python's str ordering: by code point (JS compares UTF-16 units; they differ above U+FFFF). */
export function comparePython(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (D800-DFFF) encode code points above every BMP unit, E000-FFFF included.
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

async function readDataList(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UserError('E_IO', `data list ${path} does not exist or cannot be read`, 'check --data_list');
  }
  // Python's text mode: \n, \r\n and \r all end a line; a final newline adds no line.
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const stripped = lines.map((l) => l.trim());
  const blank = stripped.findIndex((l) => l === '');
  if (blank >= 0) {
    throw new UserError('E_DATA', `${path}:${blank + 1}: blank line in the data list`, 'every line is one sample (a path, or comma-separated paths, one per input); remove blank lines');
  }
  if (stripped.length === 0) throw new UserError('E_DATA', `data list ${path} is empty`, 'write one sample per line');
  return stripped;
}

/** Splits lines into per-input paths and checks they are all one kind (DataSelector._check_data_list). */
function classify(entries: string[][], label: (line: number) => string): SampleList {
  let kind: SampleKind | undefined;
  for (let i = 0; i < entries.length; i++) {
    const parts = entries[i]!;
    for (const p of parts) {
      const k = sampleKindOf(p);
      if (k === undefined || p === '') {
        throw new UserError('E_DATA', `${label(i)}: "${p}" is not a calibration file`, `use .npz, .npy or images (.${IMAGE_EXTENSIONS.join(', .')})`);
      }
      if (kind !== undefined && k !== kind) {
        throw new UserError('E_DATA', `${label(i)}: "${p}" is ${article(k)} file, but earlier samples are ${plural(kind)}`, 'calibration data must be all images, all .npy or all .npz');
      }
      kind = k;
    }
    if (kind === 'npz' && parts.length > 1) {
      throw new UserError('E_DATA', `${label(i)}: one .npz per line holds every input`, 'write one .npz path per line (its keys are the input names)');
    }
  }
  return { kind: kind!, entries };
}

function article(k: SampleKind): string {
  return k === 'image' ? 'an image' : k === 'npz' ? 'an .npz' : 'an .npy';
}

function plural(k: SampleKind): string {
  return k === 'image' ? 'images' : `.${k} files`;
}

function fewerThanAsked(asked: number, have: number, what: string): string {
  return `--input_num ${asked} asks for more samples than there are ${what}; using all ${have} (as TPU-MLIR does)`;
}
