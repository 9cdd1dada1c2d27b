// A shard worker: imports the setup modules (the chip's target registration), then runs the
// search's steps (SampleEngine) on its share of the samples, one message at a time, answering
// each with per-sample values; a progress message per sample run.
import { parentPort, workerData } from 'node:worker_threads';
import { parseMlir } from '@tpu-quant/ir';
import { TopSource } from '../run-qtable/lowering.js';
import { SampleEngine } from '../sensitivity/scorer.js';
import type { ShardInit, ShardReply, ShardRequest } from './protocol.js';

const init = workerData as ShardInit;
const port = parentPort!;

const ready: Promise<SampleEngine> = (async () => {
  // in order: a later module may rely on what an earlier one registered
  for (const url of init.setup) await import(url);
  const top = parseMlir(init.mlir, init.name);
  top.weights = new Map(init.weights);
  return new SampleEngine({
    source: new TopSource(top), chip: init.chip, samples: init.samples.map((s) => new Map(s)),
    ...(init.globalCompareLayers !== undefined ? { globalCompareLayers: init.globalCompareLayers } : {}),
  });
})();
ready.catch(() => {}); // reported with the first request

const post = (m: ShardReply): void => port.postMessage(m);

port.on('message', (m: ShardRequest) => {
  void (async () => {
    try {
      const engine = await ready;
      const result = await engine.run(m.step, () => post({ id: m.id, kind: 'sample' }));
      post({ id: m.id, kind: 'done', result });
    } catch (e) {
      const err: Error & { code?: string; hint?: string } = e instanceof Error ? e : new Error(String(e));
      // only a UserError's code travels: it makes the error a UserError again on the other side
      const user = err.name === 'UserError' && typeof err.code === 'string';
      post({ id: m.id, kind: 'error', error: { message: err.message, ...(err.stack ? { stack: err.stack } : {}), ...(user ? { code: err.code } : {}), ...(user && err.hint ? { hint: err.hint } : {}) } });
    }
  })();
});
