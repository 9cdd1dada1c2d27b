// A tune worker thread: holds the model (with the weights the searches run with) and runs the
// threshold searches of the ops it is sent, so that several ops are searched at once.
import { parentPort, workerData } from 'node:worker_threads';
import { parseMlir } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { searchOp } from './distance.js';
import { singleOpModule } from './single-op.js';
import type { TuneWorkerInit, ToTuneWorker } from './tune-pool.js';

const init = workerData as TuneWorkerInit;
const port = parentPort!;
const module = parseMlir(init.mlir, 'tune');
module.weights = new Map(init.weights);
const ops = module.main.ops;

port.on('message', (m: ToTuneWorker) => {
  void (async () => {
    try {
      const one = singleOpModule(module, ops[m.opIndex]!);
      const session = await createSession(one.module, { backend: init.backend });
      try {
        const results = await searchOp(session, one.inputNames, m.refs, m.jobs, m.search);
        port.postMessage({ kind: 'done', id: m.id, results });
      } finally {
        await session.dispose();
      }
    } catch (e) {
      const err = e as Error & { code?: string; hint?: string };
      port.postMessage({ kind: 'error', id: m.id, message: err.message, stack: err.stack, code: err.code, hint: err.hint });
    }
  })();
});
