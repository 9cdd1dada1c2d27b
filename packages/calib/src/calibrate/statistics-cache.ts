// The statistics cache: the per-tensor summaries of one statistics pass, saved under a key made
// of content hashes (model text, weights, sample files, collection options), so a second
// run_calibration with another method skips the model runs. One npz per key: a JSON record of the
// scalars plus one array per histogram.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError, loadNpz, ndarray, printMlir, saveNpz, type Module, type NdArray } from '@tpu-quant/ir';
import type { Histogram, TensorSummary } from '../stats/types.js';

/** Bump when the collected statistics change meaning, so old caches are not read. */
const CACHE_FORMAT = 1;

export interface CacheKeyInput {
  readonly module: Module;
  readonly sampleFiles: readonly string[];
  readonly binNum: number;
  readonly inputNum: number;
  readonly torchObserver: boolean;
  readonly bits?: 8 | 4;
  /** The executor that runs the samples (default wasm); backends round differently. */
  readonly backend?: string;
}

/** sha256 over everything the statistics depend on. */
export async function statisticsKey(k: CacheKeyInput): Promise<string> {
  const h = createHash('sha256');
  h.update(`tpu-quant calibration statistics v${CACHE_FORMAT}\n`);
  h.update(JSON.stringify({ binNum: k.binNum, inputNum: k.inputNum, torch: k.torchObserver, bits: k.bits ?? 8, backend: k.backend ?? 'wasm' }));
  // the printed module carries the preprocessing attributes of top.Input and every op attribute
  h.update(printMlir(k.module));
  for (const [name, a] of [...(k.module.weights ?? new Map<string, NdArray>())].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    h.update(`\0${name}\0${a.dtype}\0${a.shape.join(',')}\0`);
    h.update(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength));
  }
  for (const file of k.sampleFiles) {
    h.update(`\0sample\0${file}\0`);
    await new Promise<void>((resolve, reject) => {
      createReadStream(file).on('data', (c) => h.update(c)).on('end', resolve).on('error', reject);
    });
  }
  return h.digest('hex');
}

export function cachePath(dir: string, key: string): string {
  return join(dir, `stats-${key.slice(0, 32)}.npz`);
}

type Scalars = Omit<TensorSummary, 'hist' | 'torchObserver'> & {
  hist: { width: number; th: number };
  torch?: { minVal: number; maxVal: number };
};

export async function saveStatistics(path: string, key: string, summaries: readonly TensorSummary[]): Promise<void> {
  const arrays = new Map<string, NdArray>();
  const records: Scalars[] = summaries.map((s, i) => {
    arrays.set(`hist_${i}`, ndarray('f64', [s.hist.counts.length], s.hist.counts));
    const { hist, torchObserver, ...rest } = s;
    const rec: Scalars = { ...rest, hist: { width: hist.width, th: hist.th } };
    if (torchObserver) {
      arrays.set(`torch_${i}`, ndarray('f64', [torchObserver.histogram.length], torchObserver.histogram));
      rec.torch = { minVal: torchObserver.minVal, maxVal: torchObserver.maxVal };
    }
    return rec;
  });
  const meta = new TextEncoder().encode(JSON.stringify({ format: CACHE_FORMAT, key, records }, jsonNumbers));
  arrays.set('meta', ndarray('u8', [meta.length], meta));
  await mkdir(join(path, '..'), { recursive: true });
  await saveNpz(path, arrays);
}

/**
 * The cached summaries, or undefined when there is no usable cache entry for `key`. The cache is
 * only a shortcut: an entry that cannot be read or makes no sense (damaged, truncated, written by
 * another version) is a miss, reported through `warn`, never a failed run.
 */
export async function loadStatistics(path: string, key: string, warn: (m: string) => void = () => {}): Promise<TensorSummary[] | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    return await readStatistics(path, key);
  } catch (e) {
    warn(`WARNING: ignoring the unreadable statistics cache ${path} (${(e as Error).message}); computing the statistics again`);
    return undefined;
  }
}

async function readStatistics(path: string, key: string): Promise<TensorSummary[] | undefined> {
  const arrays = await loadNpz(path);
  const meta = arrays.get('meta');
  if (!meta || !(meta.data instanceof Uint8Array)) throw new FormatError('no meta record');
  const parsed = JSON.parse(new TextDecoder().decode(meta.data), jsonNumbersBack) as { format?: unknown; key?: unknown; records?: unknown };
  if (parsed.format !== CACHE_FORMAT || parsed.key !== key) return undefined;
  if (!Array.isArray(parsed.records)) throw new FormatError('no records');
  return (parsed.records as Scalars[]).map((r, i) => {
    const counts = arrays.get(`hist_${i}`)?.data;
    if (!(counts instanceof Float64Array)) throw new FormatError(`histogram ${i} is missing`);
    if (typeof r?.info?.name !== 'string' || typeof r.hist?.width !== 'number') throw new FormatError(`record ${i} is malformed`);
    const { hist, torch, ...rest } = r;
    const h: Histogram = { counts, width: hist.width, th: hist.th };
    const torchHist = arrays.get(`torch_${i}`)?.data;
    return {
      ...rest,
      hist: h,
      ...(torch && torchHist instanceof Float64Array ? { torchObserver: { ...torch, histogram: torchHist } } : {}),
    };
  });
}

// JSON has no Infinity/NaN; statistics can hold them (an all-NaN tensor), so spell them as strings.
function jsonNumbers(_k: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return `__num:${v}`;
  return v;
}
function jsonNumbersBack(_k: string, v: unknown): unknown {
  if (typeof v === 'string' && v.startsWith('__num:')) return Number(v.slice(6));
  return v;
}
