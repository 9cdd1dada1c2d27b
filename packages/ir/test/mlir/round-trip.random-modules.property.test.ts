// parse(print(m)) equals m for any module, and printing is a fixed point; a parsed module stays
// printable after rewrites (locations moved, ops dropped), reading back as the rewritten module.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffModules, parseMlir, printMlir, type Location, type Module } from '@tpu-quant/ir';
import { loc, randomModule } from './random-modules.js';

const RUNS = Number(process.env.MLIR_PROP_RUNS ?? 300);

function reparse(text: string): Module {
  try {
    return parseMlir(text);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- printed ---\n${text}`);
  }
}

function expectSame(back: Module, m: Module, text: string): void {
  const diff = diffModules(back, m);
  if (diff !== undefined) throw new Error(`${diff}\n--- printed ---\n${text}`);
}

describe('MLIR round trip of random modules', () => {
  it('parse(print(m)) equals m and print(parse(print(m))) is the same text', () => {
    fc.assert(
      fc.property(randomModule, (m) => {
        const text = printMlir(m);
        const back = reparse(text);
        expectSame(back, m, text);
        expect(printMlir(back)).toBe(text);
        expect(printMlir(back, { useSourceLayout: false })).toBe(text);
      }),
      { numRuns: RUNS },
    );
  });

  it('a parsed module rewritten at random still prints text that reads back as it', () => {
    const edits = fc.array(fc.record({ pick: fc.nat(), loc, erase: fc.boolean() }), { maxLength: 6 });
    fc.assert(
      fc.property(randomModule, edits, (m, plan) => {
        const parsed = parseMlir(printMlir(m));
        // (A declaration's arguments print without locations, so they are left alone.)
        const sites: { loc: Location }[] = [parsed, ...parsed.funcs, ...parsed.funcs.flatMap((f) => (f.ops.length > 0 ? [...f.args, ...f.ops] : []))];
        for (const e of plan) {
          const site = sites[e.pick % sites.length]!;
          site.loc = e.loc;
          // Erase an unused, non-terminator op now and then.
          const victim = parsed.funcs.flatMap((f) => f.ops).find((o) => o.type !== 'func.return' && !o.results.some((r) => r.hasUses));
          if (e.erase && victim) victim.erase();
        }
        const text = printMlir(parsed);
        expectSame(reparse(text), parsed, text);
      }),
      { numRuns: RUNS },
    );
  });
});
