// The image decoding thread's side (decode-thread.ts): preprocessImage per request, the result's
// buffer transferred back.
import { parentPort } from 'node:worker_threads';
import { preprocessImage } from '../preprocess/preprocess.js';
import type { DecodeReply, DecodeRequest } from './decode-thread.js';

const port = parentPort!;
port.on('message', (m: DecodeRequest) => {
  preprocessImage(m.path, m.config, m.shape).then(
    (a) => port.postMessage({ id: m.id, shape: a.shape, data: a.data } satisfies DecodeReply, [a.data.buffer as ArrayBuffer]),
    (e: Error & { code?: string; hint?: string }) => port.postMessage({ id: m.id, error: { message: e.message, code: e.code, hint: e.hint, stack: e.stack } } satisfies DecodeReply),
  );
});
