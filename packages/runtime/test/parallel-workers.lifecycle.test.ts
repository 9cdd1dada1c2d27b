// Intra-op workers end cleanly: dispose terminates them, a process that never disposes still
// exits, and a worker that throws, exits or hangs fails the run with an error (never a hang).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Module } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import { createSession } from '../src/index.js';
import { finish, moduleWithInputs, random } from './helpers/build.js';

/** Two convs, each big enough to be split over 2 threads. */
function twoConvs(): Module {
  const b = moduleWithInputs([[1, 64, 28, 28]]);
  let y = b.inputs[0]!;
  for (let i = 0; i < 2; i++) {
    y = top.conv(b.b, { input: y, filter: b.b.weight(`w${i}`, random([64, 64, 3, 3], i + 1)) }, {
      kernel_shape: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1],
    }, { loc: `c${i}` }).result();
  }
  return finish(b, [y]);
}

const input = { x0: random([1, 64, 28, 28], 9) };

async function withFault(fault: string, timeoutMs?: number): Promise<Awaited<ReturnType<typeof createSession>>> {
  process.env.TPUQ_TEST_WORKER_FAULT = fault;
  if (timeoutMs !== undefined) process.env.TPUQ_THREAD_TIMEOUT_MS = String(timeoutMs);
  process.env.TPUQ_TEST_NO_STEAL = '1'; // the faulty worker must get its part
  try {
    const s = await createSession(twoConvs(), { threads: 2 });
    await s.ready();
    return s;
  } finally {
    // workers copy the environment when they start; the team reads the timeout when it is made
    delete process.env.TPUQ_TEST_WORKER_FAULT;
    delete process.env.TPUQ_THREAD_TIMEOUT_MS;
    delete process.env.TPUQ_TEST_NO_STEAL;
  }
}

describe('intra-op workers', () => {
  const open: { dispose(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.dispose()));
  });

  it('report a kernel error from a worker as the run\'s error, and keep working', async () => {
    const s = await withFault('throw');
    open.push(s);
    await expect(s.run(input)).rejects.toThrow(/injected fault/);
    const one = await (await createSession(twoConvs())).run(input);
    const again = await s.run(input);
    expect(s.stats().splitOps).toBe(2);
    expect(again.outputs.get('c1')!.data).toEqual(one.outputs.get('c1')!.data);
  });

  it('fail the run when a worker exits, and every later run says so', async () => {
    const s = await withFault('exit');
    open.push(s);
    await expect(s.run(input)).rejects.toThrow(/intra-op worker 1 .*exited/);
    await expect(s.run(input)).rejects.toThrow(/intra-op worker 1 .*exited/);
  });

  it('fail the run when a worker does not answer in time', async () => {
    const s = await withFault('hang', 300);
    open.push(s);
    const t0 = performance.now();
    await expect(s.run(input)).rejects.toThrow(/did not answer within 0.3 s/);
    expect(performance.now() - t0).toBeLessThan(30_000);
    await expect(s.run(input)).rejects.toThrow(/did not answer/);
  });

  it('end with dispose, and never keep a process alive', async () => {
    const s = await createSession(twoConvs(), { threads: 2 });
    await s.ready();
    await s.run(input);
    const t0 = performance.now();
    await s.dispose();
    expect(performance.now() - t0).toBeLessThan(10_000);
    // after dispose, runs compute on one thread
    await s.run(input);
    expect(s.stats().splitOps).toBe(0);

    // a script that runs a 2-thread session and returns without disposing it exits by itself
    const script = `
      import { createSession } from ${JSON.stringify(resolve(import.meta.dirname, '../src/index.ts'))};
      import { finish, moduleWithInputs, random } from ${JSON.stringify(resolve(import.meta.dirname, 'helpers/build.ts'))};
      import { top } from '@tpu-quant/ir';
      const b = moduleWithInputs([[1, 64, 28, 28]]);
      const y = top.conv(b.b, { input: b.inputs[0], filter: b.b.weight('w', random([64, 64, 3, 3], 1)) },
        { kernel_shape: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1] }, { loc: 'c' }).result();
      const s = await createSession(finish(b, [y]), { threads: 2 });
      await s.ready();
      await s.run({ x0: random([1, 64, 28, 28], 2) });
      console.log('split', s.stats().splitOps);
    `;
    const r = spawnSync(process.execPath, ['--conditions=@tpu-quant/source', '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: resolve(import.meta.dirname, '..'), encoding: 'utf8', timeout: 60_000,
    });
    expect(r.error, r.stderr).toBeUndefined();
    expect(r.stdout.trim(), r.stderr).toBe('split 1');
    expect(r.status).toBe(0);
  });
});
