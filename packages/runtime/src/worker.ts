// A worker thread of the pool: rebuilds the session from the module's MLIR text and the shared
// weights, then runs one sample per message and transfers the results back.
import { parentPort, workerData } from 'node:worker_threads';
import type { NdArray } from '@tpu-quant/ir';
import { ndarray, parseMlir, UserError } from '@tpu-quant/ir';
import { createSession } from './session.js';
import type { WorkerInit, WorkerJob, WorkerReply } from './worker-pool.js';

const init = workerData as WorkerInit;
const port = parentPort!;

const ready = (async () => {
  const m = parseMlir(init.mlir, `${init.name}.mlir`);
  m.weights = new Map(init.weights.map((w) => [w.name, ndarray('f32', w.shape, new Float32Array(w.buffer))]));
  return createSession(m, { backend: init.backend });
})();

port.on('message', (job: WorkerJob) => {
  void (async () => {
    let reply: WorkerReply;
    const transfer = new Set<ArrayBuffer>();
    try {
      const s = await ready;
      const r = await s.run(new Map(job.inputs), { capture: job.capture });
      const pack = (m: Map<string, NdArray>): [string, NdArray][] => {
        // weights live in SharedArrayBuffers, which are shared, not transferred
        for (const v of m.values()) if (v.data.buffer instanceof ArrayBuffer) transfer.add(v.data.buffer);
        return [...m];
      };
      reply = { outputs: pack(r.outputs), tensors: pack(r.tensors) };
    } catch (e) {
      const err = e as Error;
      reply = { error: { message: err.message, stack: err.stack, code: e instanceof UserError ? e.code : undefined, hint: e instanceof UserError ? e.hint : undefined } };
    }
    port.postMessage(reply, [...transfer]);
  })();
});
