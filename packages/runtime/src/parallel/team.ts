// A session's intra-op team: the calling thread plus worker threads that compute parts of the
// split ops (split.ts). Weights reach the workers once, as SharedArrayBuffers, and each worker
// packs its parts into its own wasm memory on first use; activations stay where the session's
// shared buffer pool put them, and each buffer crosses to the workers once (an id on the control
// block afterwards). Per op, the caller posts the jobs, computes part 0 itself, then waits.
//
// Failure is loud: a worker that throws fails the op with its error; one that exits or does not
// answer within the timeout fails the run, stops the team, and every later run says why.
import type { MessagePort, Worker } from 'node:worker_threads';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import type { NdArray, Op } from '@tpu-quant/ir';
import type { KernelContext } from '../registry.js';
import { spawnWorker } from '../worker-pool.js';
import * as C from './control.js';
import type { CompiledPart } from './part.js';
import { compilePart, runPart, runSlice } from './part.js';
import type { SplitOp } from './split.js';
import type { TeamMail, TeamWorkerInit } from './worker.js';

export class Team {
  /** Resolves when every worker is up; rejects when one fails to start. */
  readonly ready: Promise<void>;
  /** Split ops computed across threads since `begin`. */
  splitOps = 0;
  private up = false;
  private failure: Error | undefined;
  private closed = false;
  private readonly ctrl: Int32Array;
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  /** By op: its split, every part compiled here (part 0 is this thread's; the rest it may take over), the weights it needs. */
  private readonly byOp = new Map<Op, { split: SplitOp; parts: CompiledPart[]; sources: (NdArray | undefined)[] }>();
  private seq = 0;
  private readonly ids = new WeakMap<SharedArrayBuffer, number>();
  private nextId = 1;
  private readonly forget = new FinalizationRegistry<number>((id) => this.mail({ id, drop: true }));
  private staging: Float32Array | undefined;
  private readonly timeoutMs: number;
  /** Tests of worker faults turn taking over off (TPUQ_TEST_NO_STEAL=1), so the faulty worker gets its part. */
  private readonly takeOver = process.env.TPUQ_TEST_NO_STEAL !== '1';

  /**
   * `weights`: the session's f32 weights, each filling a SharedArrayBuffer of its own; the split
   * ops read them by identity, so a weight replaced by an override runs on one thread.
   */
  constructor(splits: readonly SplitOp[], weights: ReadonlyMap<string, NdArray>, size: number, wasmBuild: string) {
    const env = Number(process.env.TPUQ_THREAD_TIMEOUT_MS);
    this.timeoutMs = Number.isFinite(env) && env > 0 ? env : C.DEFAULT_TIMEOUT_MS;
    const data = (name: string): Float32Array => weights.get(name)!.data as Float32Array;
    for (const s of splits) {
      this.byOp.set(s.op, { split: s, parts: s.parts.map((p) => compilePart(p, data)), sources: s.weightNames.map((n) => (n === undefined ? undefined : weights.get(n))) });
    }
    const used = new Set(splits.flatMap((s) => s.weightNames.filter((n) => n !== undefined)));
    const shared = [...used].map((name) => ({ name, buffer: data(name).buffer as SharedArrayBuffer }));
    this.ctrl = new Int32Array(new SharedArrayBuffer(C.controlBytes(size)));
    for (let w = 0; w < size; w++) this.ctrl[C.slot(w) + C.CLAIM] = 1;
    const starts: Promise<void>[] = [];
    for (let w = 0; w < size; w++) {
      const { port1, port2 } = new MessageChannel();
      port1.unref();
      const init: TeamWorkerInit = {
        ctrl: this.ctrl.buffer as SharedArrayBuffer, index: w, port: port2, wasmBuild,
        parts: splits.map((s) => s.parts[w + 1]), weights: shared,
      };
      const worker = spawnWorker('parallel/worker', init, [port2]);
      worker.unref();
      this.workers.push(worker);
      this.ports.push(port1);
      starts.push(new Promise<void>((resolve, reject) => {
        worker.on('message', (m: { ready?: boolean }) => m.ready && resolve());
        worker.on('error', (e) => {
          reject(e);
          this.fail(new Error(`intra-op worker ${w + 1} failed: ${e.message}`, { cause: e }));
        });
        worker.on('exit', (code) => {
          const e = new Error(`intra-op worker ${w + 1} exited with code ${code}`);
          reject(e);
          this.fail(e);
        });
      }));
    }
    this.ready = Promise.all(starts).then(() => {
      this.up = true;
    });
    this.ready.catch(() => {}); // reported by the run that needs the team
  }

  /** Until `ready` settles, the workers keep the process alive (someone is waiting on them). */
  whenReady(): Promise<void> {
    if (this.up || this.failure) return this.failure ? Promise.reject(this.failure) : Promise.resolve();
    for (const w of this.workers) w.ref();
    const unref = (): void => {
      for (const w of this.workers) w.unref();
    };
    return this.ready.then(unref, (e: unknown) => {
      unref();
      throw this.failure ?? e;
    });
  }

  /**
   * Whether runs should route split requests here (until disposed); throws after a failure. Runs
   * may start before the workers are up: ops stay whole until one is, and parts of a worker not
   * yet up are computed by the caller, so a long run picks its workers up as they come.
   */
  usable(): boolean {
    if (this.failure) throw this.failure;
    return !this.closed;
  }

  /** Whether any worker is in its loop (read from the control block: no event loop needed). */
  private anyUp(): boolean {
    let all = true;
    let any = false;
    for (let w = 0; w < this.workers.length; w++) {
      if (Atomics.load(this.ctrl, C.slot(w) + C.READY) === 1) any = true;
      else all = false;
    }
    if (all) this.up = true;
    return any;
  }

  /** A run starts: idle workers spin, so the first hand-off finds them awake. */
  begin(): void {
    this.splitOps = 0;
    Atomics.store(this.ctrl, C.ACTIVE, 1);
    for (let w = 0; w < this.workers.length; w++) Atomics.notify(this.ctrl, C.slot(w) + C.SEQ);
  }

  end(): void {
    Atomics.store(this.ctrl, C.ACTIVE, 0);
  }

  /** The splitter (hook.ts) of a running session: the op across threads, or undefined. */
  readonly split = (ctx: KernelContext): NdArray | undefined => {
    const entry = this.byOp.get(ctx.op);
    if (!entry || this.failure || this.closed || !(this.up || this.anyUp())) return undefined;
    const { split, parts, sources } = entry;
    const x = ctx.inputs[0];
    if (!x || !(x.data instanceof Float32Array) || !ctx.alloc || !sameShape(x.shape, split.xShape)) return undefined;
    for (let k = 0; k < sources.length; k++) if (ctx.inputs[k + 1] !== sources[k]) return undefined;
    const y = ctx.alloc(split.yShape);
    if (!(y.data.buffer instanceof SharedArrayBuffer)) return undefined; // not the session's shared pool
    const [xid, xoff] = this.share(x.data);
    const [yid, yoff] = this.share(y.data);
    const seq = ++this.seq;
    const helpers = split.parts.length - 1;
    for (let w = 0; w < helpers; w++) {
      const s = C.slot(w);
      const c = this.ctrl;
      c[s + C.OP] = split.index;
      c[s + C.XID] = xid;
      c[s + C.XOFF] = xoff;
      c[s + C.YID] = yid;
      c[s + C.YOFF] = yoff;
      c[s + C.NEXT] = 0;
      // open the claim before publishing the job: a worker that sees the new SEQ while CLAIM still
      // held the last job's 1 would fail its claim and go back to sleep, leaving this job to the
      // caller (or, with take-over off, to nobody)
      Atomics.store(c, s + C.CLAIM, 0);
      Atomics.store(c, s + C.SEQ, seq);
      Atomics.notify(c, s + C.SEQ);
    }
    let mine: unknown;
    try {
      runPart(parts[0]!, x.data, 0, y.data as Float32Array, 0);
    } catch (e) {
      mine = e;
    }
    // take over the parts no worker has started, help with the images of those started, and wait
    // for the rest (always, so no worker still writes into memory the caller may reuse)
    let theirs: unknown;
    const c = this.ctrl;
    for (let w = 0; w < helpers; w++) {
      const s = C.slot(w);
      const p = parts[w + 1]!;
      const taken = this.takeOver && Atomics.compareExchange(c, s + C.CLAIM, 0, 1) === 0;
      try {
        if (taken && mine === undefined) runPart(p, x.data, 0, y.data as Float32Array, 0);
        if (!taken && this.takeOver && mine === undefined && theirs === undefined) {
          for (let i = Atomics.add(c, s + C.NEXT, 1); i < p.spec.count; i = Atomics.add(c, s + C.NEXT, 1)) runSlice(p, i, x.data, 0, y.data as Float32Array, 0);
        }
      } catch (e) {
        theirs ??= e;
      }
      if (taken) continue;
      try {
        this.collect(w, seq, split.op);
      } catch (e) {
        theirs ??= e;
      }
    }
    if (mine !== undefined) throw mine;
    if (theirs !== undefined) throw theirs;
    this.splitOps++;
    return y;
  };

  async dispose(): Promise<void> {
    this.closed = true;
    this.stop();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** Waits for worker w to finish job `seq`: spins a little, then sleeps, up to the timeout. */
  private collect(w: number, seq: number, op: Op): void {
    const c = this.ctrl;
    const s = C.slot(w);
    const t0 = performance.now();
    for (;;) {
      for (let k = 0; k < 256; k++) if (Atomics.load(c, s + C.DONE) === seq) break;
      const done = Atomics.load(c, s + C.DONE);
      if (done === seq) break;
      const what = `worker ${w + 1} computing its part of ${op.type} "${op.name ?? '?'}"`;
      if (Atomics.load(c, s + C.STATUS) === C.DEAD) throw this.fail(new Error(`intra-op ${what} exited`));
      const waited = performance.now() - t0;
      if (waited > this.timeoutMs) {
        throw this.fail(new Error(`intra-op ${what} did not answer within ${this.timeoutMs / 1000} s; the session's workers were stopped (TPUQ_THREAD_TIMEOUT_MS sets the limit)`));
      }
      if (waited > C.CALLER_SPIN_MS) Atomics.wait(c, s + C.DONE, done, Math.min(100, this.timeoutMs - waited + 1));
    }
    if (Atomics.load(c, s + C.STATUS) === C.FAILED) {
      const m = receiveMessageOnPort(this.ports[w]!)?.message as { message: string; stack?: string } | undefined;
      const err = new Error(m?.message ?? `intra-op worker ${w + 1} failed`);
      if (m?.stack) err.stack = `${err.name}: ${m.message}\n    (in intra-op worker ${w + 1})\n${m.stack.split('\n').slice(1).join('\n')}`;
      throw err;
    }
  }

  /** [buffer id, element offset] of f32 data the workers can reach; copied to staging when unshared. */
  private share(d: Float32Array): [number, number] {
    let buf = d.buffer;
    let off = d.byteOffset / 4;
    if (!(buf instanceof SharedArrayBuffer)) {
      if (!this.staging || this.staging.length < d.length) this.staging = new Float32Array(new SharedArrayBuffer(4 * d.length));
      this.staging.set(d);
      buf = this.staging.buffer;
      off = 0;
    }
    const sab = buf as SharedArrayBuffer;
    let id = this.ids.get(sab);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(sab, id);
      this.mail({ id, buffer: sab });
      this.forget.register(sab, id);
    }
    return [id, off];
  }

  private mail(m: TeamMail): void {
    if (this.closed || this.failure) return;
    for (const p of this.ports) p.postMessage(m);
    Atomics.add(this.ctrl, C.MAIL, 1);
  }

  /** Records the first failure, stops the workers, and returns it (for throwing). */
  private fail(e: Error): Error {
    if (this.closed) return e;
    if (!this.failure) {
      this.failure = e;
      this.stop();
      for (const w of this.workers) void w.terminate();
    }
    return this.failure;
  }

  private stop(): void {
    Atomics.store(this.ctrl, C.STOP, 1);
    for (let w = 0; w < this.workers.length; w++) Atomics.notify(this.ctrl, C.slot(w) + C.SEQ);
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
