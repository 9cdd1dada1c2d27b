import { describe, expect, it } from 'vitest';
import { describePasses, getPass, listPasses, registerPass } from '../../src/passes/index.js';

describe('pass registry', () => {
  it('has the built-in passes, sorted by name', () => {
    const names = listPasses().map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['dce', 'set-module-attr', 'sort-topologically', 'verify']));
    expect(names).toEqual([...names].sort());
    expect(getPass('dce')?.summary).toMatch(/unused/);
    expect(getPass('nope')).toBeUndefined();
  });

  it('throws when a name is registered twice', () => {
    registerPass({ name: 'test-twice', summary: 's', options: {}, run: () => {} });
    expect(() => registerPass({ name: 'test-twice', summary: 's', options: {}, run: () => {} })).toThrow(/registered twice/);
    expect(() => registerPass({ name: 'dce', summary: 's', options: {}, run: () => {} })).toThrow(/registered twice/);
  });

  it('rejects names that are not kebab-case and enum defaults outside the values', () => {
    expect(() => registerPass({ name: 'BadName', summary: 's', options: {}, run: () => {} })).toThrow(/kebab-case/);
    expect(() =>
      registerPass({
        name: 'test-bad-enum',
        summary: 's',
        options: { mode: { type: 'enum', values: ['A', 'B'], default: 'C', doc: 'd' } },
        run: () => {},
      }),
    ).toThrow(/not one of its values/);
  });

  it('types option values from the spec', () => {
    registerPass({
      name: 'test-typed',
      summary: 's',
      options: {
        n: { type: 'int', default: 1, doc: 'n' },
        on: { type: 'bool', default: false, doc: 'on' },
        mode: { type: 'enum', values: ['INT8', 'F16'], default: 'INT8', doc: 'mode' },
      },
      run(_m, opts) {
        // Compile-time checks: these assignments fail to typecheck if the mapping is wrong.
        const n: number = opts.n;
        const on: boolean = opts.on;
        const mode: string = opts.mode;
        void [n, on, mode];
      },
    });
  });

  it('describes passes and their options for --list-passes', () => {
    const text = describePasses([getPass('set-module-attr')!]);
    expect(text).toContain('set-module-attr');
    expect(text).toMatch(/name=<string>\s+attribute name.*\(required\)/);
    expect(text).toMatch(/value=<string>.*\(default ""\)/);
  });
});
