// The control block a team shares with its workers: one Int32Array over a SharedArrayBuffer. The
// calling thread posts a job by writing a worker's slot, bumping its SEQ and opening its CLAIM
// (Atomics.store, then notify). Whoever takes the claim (compareExchange 0 -> 1) owns the part:
// the worker, or the caller itself once its own part is done and the worker has not started
// (descheduled, or still asleep), so a busy machine costs no more than one thread would. A part
// of several images (batch > 1) is handed out image by image through NEXT (Atomics.add), so the
// caller also helps with the images of a worker that is behind. The worker answers by storing the
// job's SEQ into DONE. Both sides spin briefly before sleeping in Atomics.wait, so a hand-off
// between ops costs microseconds, not a postMessage round trip.

/** Global words. */
export const STOP = 0; // 1: workers leave their loop
export const ACTIVE = 1; // 1 while a run is in progress: idle workers spin instead of sleeping
export const MAIL = 2; // messages posted to the workers' ports so far (buffers to map or drop)

/** Per-worker words, in a slot of its own (128 bytes: no false sharing). */
export const SEQ = 0; // job number, written by the caller
export const OP = 1; // index of the split op
export const XID = 2; // input buffer id and element offset
export const XOFF = 3;
export const YID = 4; // output buffer id and element offset
export const YOFF = 5;
export const DONE = 6; // the last job number finished, written by the worker
export const STATUS = 7; // of the last job: OK, FAILED (its error is on the port), DEAD (the worker exited)
export const CLAIM = 8; // 0: the posted job is free to take; 1: taken (or none posted)
export const READY = 9; // 1 once the worker is in its loop (jobs posted before then are taken over)
export const NEXT = 10; // the next image of the part to compute (Atomics.add hands them out)

export const OK = 0;
export const FAILED = 1;
export const DEAD = 2;

const SLOT = 32;

/** Index of worker w's slot. */
export const slot = (w: number): number => SLOT * (w + 1);

export const controlBytes = (workers: number): number => 4 * SLOT * (workers + 1);

/** A worker idle during a run spins this long after its last job before it sleeps. */
export const WORKER_SPIN_MS = 2;
/** The caller spins this long for a worker's part before it sleeps. */
export const CALLER_SPIN_MS = 0.2;
/** Default limit on waiting for one worker's part (TPUQ_THREAD_TIMEOUT_MS overrides). */
export const DEFAULT_TIMEOUT_MS = 60_000;
