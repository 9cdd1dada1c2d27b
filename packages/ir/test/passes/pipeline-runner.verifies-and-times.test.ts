import { describe, expect, it } from 'vitest';
import { Op, UserError, VerifyError, nameLoc, stringAttr, type Module } from '../../src/core/index.js';
import { registerPass, runPipeline, type PipelineEvent } from '../../src/passes/index.js';
import { t4, tinyGraph } from './build-graph.js';

// A pass that breaks the IR: it adds an op whose operand is defined after it.
registerPass({
  name: 'test-break-ir',
  summary: 'uses a value before it is defined',
  options: {},
  run(m) {
    const f = m.main;
    const late = f.append(new Op('top.Weight', { resultTypes: [t4], loc: nameLoc('late') }));
    f.insertBefore(f.ops[0]!, new Op('top.Relu', { operands: [late.result()], resultTypes: [t4], loc: nameLoc('early') }));
  },
});

registerPass({
  name: 'test-record',
  summary: 'records its options in a module attribute and reports progress',
  options: {
    tag: { type: 'string', default: 'none', doc: 'what to record' },
    steps: { type: 'int', default: 2, doc: 'progress units' },
  },
  run(m, opts, ctx) {
    for (let i = 1; i <= opts.steps; i++) ctx.progress(i, opts.steps);
    const seen = m.attrs.get('test.seen');
    const before = seen?.kind === 'string' ? `${seen.value},` : '';
    m.attrs.set('test.seen', stringAttr(`${before}${ctx.pass}:${opts.tag}`));
  },
});

registerPass({
  name: 'test-user-error',
  summary: 'fails like a pass given a bad input file',
  options: {},
  run() {
    throw new UserError('E_CALI_TABLE', 'tensor "x" not in graph', 'check the table');
  },
});

registerPass({
  name: 'test-crash',
  summary: 'a pass with a bug',
  options: {},
  run() {
    throw new TypeError('boom');
  },
});

registerPass({
  name: 'test-async',
  summary: 'awaits before it changes the module',
  options: {},
  async run(m) {
    await new Promise((r) => setTimeout(r, 5));
    m.attrs.set('test.async', stringAttr('done'));
  },
});

function seen(m: Module): string | undefined {
  const a = m.attrs.get('test.seen');
  return a?.kind === 'string' ? a.value : undefined;
}

describe('runPipeline', () => {
  it('runs the steps in order with defaults filled in, and returns one timing per pass', async () => {
    const { module } = tinyGraph();
    const timings = await runPipeline(module, 'test-record{tag=a},dce,test-record');
    expect(seen(module)).toBe('test-record:a,test-record:none');
    expect(timings.map((t) => [t.pass, t.kind])).toEqual([
      ['test-record', 'pass'],
      ['dce', 'pass'],
      ['test-record', 'pass'],
    ]);
    for (const t of timings) expect(t.ms).toBeGreaterThanOrEqual(0);
  });

  it('takes hand-built steps and checks them like the parser does', async () => {
    const { module } = tinyGraph();
    await runPipeline(module, [{ pass: 'test-record', options: { tag: 'hand' } }]);
    expect(seen(module)).toBe('test-record:hand');
    await expect(runPipeline(module, [{ pass: 'dcee' }])).rejects.toThrow(/unknown pass "dcee"/);
    await expect(runPipeline(module, [{ pass: 'test-record', options: { steps: 'x' } }])).rejects.toThrow(
      /bad value "x" for option "steps" of pass "test-record": expected an integer/,
    );
    await expect(runPipeline(module, [{ pass: 'test-record', options: { nope: 1 } }])).rejects.toThrow(/unknown option "nope"/);
    await expect(runPipeline(module, [{ pass: 'set-module-attr' }])).rejects.toThrow(/needs option "name"/);
  });

  it('rejects a bad step before any pass runs', async () => {
    const { module } = tinyGraph();
    await expect(runPipeline(module, [{ pass: 'test-record' }, { pass: 'nope' }])).rejects.toThrow(UserError);
    expect(seen(module)).toBeUndefined();
  });

  it('says which pass left the IR broken', async () => {
    const { module } = tinyGraph();
    const err = await runPipeline(module, 'dce,test-break-ir,dce').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerifyError);
    expect((err as VerifyError).message).toMatch(/^after pass 'test-break-ir': in @main: operand 0 of top.Relu "early"/);
  });

  it('verifies the input before the first pass, unless verifyEach is off', async () => {
    const { module } = tinyGraph();
    await runPipeline(module, 'test-break-ir', { verifyEach: false });
    const err = await runPipeline(module, 'dce').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerifyError);
    expect((err as Error).message).toMatch(/^input module \(before the first pass\): /);
  });

  it('dumps after each pass, before verifying, so the broken IR can be seen', async () => {
    const { module } = tinyGraph();
    const dumped: string[] = [];
    await expect(
      runPipeline(module, 'test-record,test-break-ir', { dumpAfter: (p, m) => dumped.push(`${p}:${m.main.ops.length}`) }),
    ).rejects.toThrow(VerifyError);
    expect(dumped).toEqual(['test-record:4', 'test-break-ir:6']);
  });

  it('reports start, progress and end events', async () => {
    const { module } = tinyGraph();
    const events: PipelineEvent[] = [];
    await runPipeline(module, 'verify,test-record{steps=2}', { onProgress: (e) => events.push(e) });
    expect(events.map((e) => (e.kind === 'pass-progress' ? `${e.pass} ${e.done}/${e.total}` : `${e.kind} ${e.pass} ${e.index}/${e.count}`))).toEqual([
      'pass-start verify 0/2',
      'pass-end verify 0/2',
      'pass-start test-record 1/2',
      'test-record 1/2',
      'test-record 2/2',
      'pass-end test-record 1/2',
    ]);
  });

  it('records verifier time as separate rows when timing is on', async () => {
    const { module } = tinyGraph();
    const timings = await runPipeline(module, 'dce,verify', { timing: true });
    expect(timings.map((t) => `${t.kind}:${t.pass}`)).toEqual([
      'verifier:verifier',
      'pass:dce',
      'verifier:verifier',
      'pass:verify',
      'verifier:verifier',
    ]);
  });

  it('names the pass in a user error and keeps its code and hint', async () => {
    const { module } = tinyGraph();
    const err = (await runPipeline(module, 'dce,test-user-error').catch((e: unknown) => e)) as UserError;
    expect(err).toBeInstanceOf(UserError);
    expect(err.code).toBe('E_CALI_TABLE');
    expect(err.message).toBe(`in pass 'test-user-error': tensor "x" not in graph`);
    expect(err.hint).toBe('check the table');
  });

  it('wraps a crashing pass as a bug that keeps its cause', async () => {
    const { module } = tinyGraph();
    const err = (await runPipeline(module, 'test-crash').catch((e: unknown) => e)) as Error;
    expect(err).not.toBeInstanceOf(UserError);
    expect(err.message).toBe("pass 'test-crash' failed: boom");
    expect(err.cause).toBeInstanceOf(TypeError);
  });

  it('awaits async passes', async () => {
    const { module } = tinyGraph();
    await runPipeline(module, 'test-async,verify');
    expect(module.attrs.get('test.async')).toEqual(stringAttr('done'));
  });
});
