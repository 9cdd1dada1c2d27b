import { describe, expect, it } from 'vitest';
import { Module, UserError } from '../../src/core/index.js';
import { extendTarget, findTarget, getTarget, listTargets, registerTarget, type TargetHook } from '../../src/targets/index.js';

function unsupported(name: string): UserError {
  try {
    getTarget(name);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error(`"${name}" was found`);
}

describe('target lookup', () => {
  it('ignores case and surrounding space', () => {
    expect(getTarget('BM1684X')).toBe(getTarget('bm1684x'));
    expect(getTarget(' Cv183X ').name).toBe('cv183x');
    expect(findTarget('BM1690')?.name).toBe('bm1690');
    expect(findTarget('bm9999')).toBeUndefined();
  });

  it('names an unknown processor and lists the supported ones', () => {
    const e = unsupported('sg9999');
    expect(e.code).toBe('E_UNSUPPORTED_PROCESSOR');
    expect(e.message).toBe('unsupported processor "sg9999"');
    expect(e.hint).toBe('supported: bm1684, bm1684x, bm1688, bm1690, cv186x, cv183x, cv182x, cv181x, cv180x');
  });

  it('suggests the near name for a typo', () => {
    expect(unsupported('bm1648x').hint).toMatch(/^supported: bm1684, .*\(did you mean "bm1684x"/);
  });

  it('does not know mars3 (the spec gives no numbers for it)', () => {
    expect(findTarget('mars3')).toBeUndefined();
  });
});

describe('registerTarget and extendTarget', () => {
  const base = getTarget('cv180x');

  it('registers a new processor and refuses a second one of the same name', () => {
    registerTarget({ ...base, name: 'test-chip', lanes: 4 });
    expect(getTarget('TEST-CHIP').lanes).toBe(4);
    expect(listTargets().at(-1)!.name).toBe('test-chip');
    expect(() => registerTarget({ ...base, name: 'test-chip' })).toThrow(/registered twice/);
    expect(() => registerTarget({ ...base, name: 'bm1684x' })).toThrow(/registered twice/);
    expect(() => registerTarget({ ...base, name: 'Test-Upper' })).toThrow(/lower case/);
  });

  it('adds hooks and keeps the data', () => {
    const lower: TargetHook = (m) => m.attrs.size;
    const planMemory: TargetHook = () => 'planned';
    const before = getTarget('bm1688');
    const after = extendTarget('BM1688', { lower });
    expect(after).toBe(getTarget('bm1688'));
    expect(after.lower).toBe(lower);
    expect({ ...after, lower: undefined }).toEqual({ ...before, lower: undefined });
    expect(Object.isFrozen(after)).toBe(true);

    // A later package adds another hook; the first stays.
    const again = extendTarget('bm1688', { planMemory, lower });
    expect(again.lower).toBe(lower);
    expect(again.planMemory!(new Module('m'))).toBe('planned');
    expect(again.localMemBytes).toBe(128 * 1024);
  });

  it('refuses a second, different hook of the same kind and an unknown processor', () => {
    extendTarget('cv182x', { kernels: () => 1 });
    expect(() => extendTarget('cv182x', { kernels: () => 2 })).toThrow(/already has a kernels hook/);
    expect(() => extendTarget('nope', { kernels: () => 1 })).toThrow(UserError);
  });
});
