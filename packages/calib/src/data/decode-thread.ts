// Image decoding and preprocessing on a worker thread, so that the inference thread only waits
// for samples when the decoder is truly behind (sharp decodes off-thread already, but the resize,
// crop and normalisation are JavaScript and would otherwise run between inference steps).
import type { Worker } from 'node:worker_threads';
import { ndarray, type NdArray } from '@tpu-quant/ir';
import { rebuildWorkerError, startWorker } from '@tpu-quant/runtime';
import type { PreprocessConfig } from '../preprocess/config.js';

export interface DecodeRequest {
  readonly id: number;
  readonly path: string;
  readonly config: PreprocessConfig;
  readonly shape: readonly number[];
}

export type DecodeReply =
  | { readonly id: number; readonly shape: readonly number[]; readonly data: Float32Array }
  | { readonly id: number; readonly error: { message: string; code?: string; hint?: string; stack?: string } };

export class DecodeThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (a: NdArray<'f32'>) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | undefined;
  private closing = false;

  constructor() {
    this.worker = startWorker(import.meta.url, 'decode-worker', null);
    this.worker.unref(); // never what keeps a process alive
    this.worker.on('message', (m: DecodeReply) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (!w) return;
      if ('error' in m) w.reject(rebuildWorkerError(m.error, 'the image decoding thread'));
      else w.resolve(ndarray('f32', m.shape, m.data));
    });
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`the image decoding thread exited unexpectedly (code ${code})`));
    });
  }

  /** preprocessImage(path, config, shape), on the thread. */
  preprocess(path: string, config: PreprocessConfig, shape: readonly number[]): Promise<NdArray<'f32'>> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, path, config, shape } satisfies DecodeRequest);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
  }
}
