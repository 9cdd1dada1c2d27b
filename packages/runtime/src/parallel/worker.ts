// An intra-op worker: its own wasm instance holding its parts' packed weights. It reports ready,
// then lives in a loop on the control block: wait for a job, compute its part of the op from the
// shared input into the shared output, answer. Buffers are mapped by id through its port
// (read synchronously with receiveMessageOnPort, so the loop never returns to the event loop).
import type { MessagePort } from 'node:worker_threads';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { wasmBuild } from '../kernels/wasm/loader.js';
import '../kernels/wasm/index.js';
import * as C from './control.js';
import type { CompiledPart } from './part.js';
import { compilePart, runSlice } from './part.js';
import type { PartSpec } from './split.js';

export interface TeamWorkerInit {
  readonly ctrl: SharedArrayBuffer;
  /** This worker's number (its slot; it runs part index + 1 of each op). */
  readonly index: number;
  readonly port: MessagePort;
  /** By split op: this worker's part, or undefined when the op has fewer parts. */
  readonly parts: readonly (PartSpec | undefined)[];
  readonly weights: readonly { name: string; buffer: SharedArrayBuffer }[];
  /** The caller's wasm build: both must compute alike. */
  readonly wasmBuild: string;
}

/** Messages on the port: a buffer to map, or one to forget. */
export type TeamMail = { id: number; buffer: SharedArrayBuffer } | { id: number; drop: true };

const init = workerData as TeamWorkerInit;
const ctrl = new Int32Array(init.ctrl);
const at = C.slot(init.index);

// any way out (process.exit, an uncaught error) tells a caller waiting on this worker
process.on('exit', () => {
  Atomics.store(ctrl, at + C.STATUS, C.DEAD);
  Atomics.notify(ctrl, at + C.DONE);
});

if (wasmBuild !== init.wasmBuild) {
  throw new Error(`this worker loaded the ${wasmBuild} wasm build, the session's thread the ${init.wasmBuild} one; results would differ`);
}
const weights = new Map(init.weights.map((w) => [w.name, new Float32Array(w.buffer)]));
const parts: (CompiledPart | undefined)[] = init.parts.map((p) => p && compilePart(p, (n) => weights.get(n)!));
const buffers = new Map<number, Float32Array>();
// fault injection for the tests of crash and hang handling (test/parallel-*.test.ts)
let fault = process.env.TPUQ_TEST_WORKER_FAULT;
// a word of the slot nothing writes (the 'hang' fault sleeps on it)
const SPARE = 31;

let mailSeen = 0;

function loop(): void {
  let last = 0;
  for (;;) {
    const posted = nextJob(last);
    if (posted < 0) return;
    last = posted;
    // the caller may have taken it already; a won claim is always of the latest job posted
    if (Atomics.compareExchange(ctrl, at + C.CLAIM, 0, 1) !== 0) continue;
    const seq = Atomics.load(ctrl, at + C.SEQ);
    last = seq;
    try {
      readMail();
      if (fault) injectFault();
      const p = parts[ctrl[at + C.OP]!];
      if (!p) throw new Error(`no part of split op ${ctrl[at + C.OP]} on worker ${init.index + 1}`);
      const [x, xo, y, yo] = [buffer(ctrl[at + C.XID]!), ctrl[at + C.XOFF]!, buffer(ctrl[at + C.YID]!), ctrl[at + C.YOFF]!];
      // image by image: the caller may take the later ones
      for (let i = Atomics.add(ctrl, at + C.NEXT, 1); i < p.spec.count; i = Atomics.add(ctrl, at + C.NEXT, 1)) runSlice(p, i, x, xo, y, yo);
      Atomics.store(ctrl, at + C.STATUS, C.OK);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      init.port.postMessage({ message: err.message, stack: err.stack });
      Atomics.store(ctrl, at + C.STATUS, C.FAILED);
    }
    Atomics.store(ctrl, at + C.DONE, seq);
    Atomics.notify(ctrl, at + C.DONE);
  }
}

/** The next job number, or -1 to stop. Spins while a run is active (for a while), else sleeps. */
function nextJob(last: number): number {
  const i = at + C.SEQ;
  let since = performance.now();
  for (;;) {
    for (let k = 0; k < 512; k++) {
      const s = Atomics.load(ctrl, i);
      if (s !== last) return s;
    }
    if (Atomics.load(ctrl, C.STOP)) return -1;
    const now = performance.now();
    if (Atomics.load(ctrl, C.ACTIVE) && now - since < C.WORKER_SPIN_MS) continue;
    // woken by a job, a run starting, or STOP; the timeout only re-checks STOP
    readMail(); // buffers to forget, even while the caller takes every job over
    Atomics.wait(ctrl, i, last, 1000);
    since = performance.now();
  }
}

/** Maps and forgets buffers as the caller says; a counter on the control block says when there is mail. */
function readMail(): void {
  const posted = Atomics.load(ctrl, C.MAIL);
  if (posted === mailSeen) return;
  mailSeen = posted;
  for (let m = receiveMessageOnPort(init.port); m; m = receiveMessageOnPort(init.port)) {
    const mail = m.message as TeamMail;
    if ('drop' in mail) buffers.delete(mail.id);
    else buffers.set(mail.id, new Float32Array(mail.buffer));
  }
}

function buffer(id: number): Float32Array {
  const b = buffers.get(id);
  if (!b) throw new Error(`worker ${init.index + 1} has no shared buffer ${id}`);
  return b;
}

function injectFault(): void {
  const f = fault;
  fault = undefined;
  if (f === 'throw') throw new Error('injected fault');
  if (f === 'exit') process.exit(3);
  if (f === 'hang') Atomics.wait(ctrl, at + SPARE, 0);
}

Atomics.store(ctrl, at + C.READY, 1);
parentPort!.postMessage({ ready: true });
loop();
