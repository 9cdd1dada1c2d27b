// search_qtable's selection (spec §6.1 step 7) and budget increase (step 9) on hand-built loss
// lists: the Conv↔Scale pairing and its overshoot, upstream's rank numbering, the binary search's
// evaluation order, and which set is kept.
import { describe, expect, test } from 'vitest';
import { budgetSearch, selectFloatLayers, type LayerLoss, type TopGraph } from '../src/index.js';

// A (Conv) feeds S (Scale); C (Conv) feeds B (Scale); D, E plain
const types: Record<string, string> = { A: 'top.Conv', S: 'top.Scale', B: 'top.Scale', C: 'top.Conv', D: 'top.Add', E: 'top.Conv' };
const graph: TopGraph = {
  typeOf: (n) => types[n],
  consumers: (n) => ({ A: ['S'], C: ['B'] })[n] ?? [],
  producers: (n) => ({ S: ['A'], B: ['C'] })[n] ?? [],
};
const losses: LayerLoss[] = [
  { name: 'A', loss: 0.5, type: 'top.Conv' },
  { name: 'C', loss: 0.05, type: 'top.Conv' },
  { name: 'B', loss: 0.4, type: 'top.Scale' },
  { name: 'S', loss: 0.1, type: 'top.Scale' },
  { name: 'D', loss: 0.3, type: 'top.Add' },
  { name: 'E', loss: 0.2, type: 'top.Conv' },
];

describe('selectFloatLayers', () => {
  test('highest loss first; a Conv brings its Scale consumer, a Scale its Conv producer; the count overshoots', () => {
    const s = selectFloatLayers(losses, 3, graph);
    expect(s.layers).toEqual(['A', 'S', 'B', 'C']); // 4 > 3: B was taken at count 2, C came with it
    expect(s.lines).toEqual([
      'the layer A is 0 sensitive layer, loss is 0.5, type is top.Conv',
      'next scale op: S',
      'the layer B is 1 sensitive layer, loss is 0.4, type is top.Scale',
      'pre conv op: C',
      'the layer D is 2 sensitive layer, loss is 0.3, type is top.Add',
      'the layer E is 3 sensitive layer, loss is 0.2, type is top.Conv',
      'the layer S is 4 sensitive layer, loss is 0.1, type is top.Scale',
      'the layer C is 5 sensitive layer, loss is 0.05, type is top.Conv',
      "set_fp_layer_list = ['A', 'S', 'B', 'C']",
    ]);
  });

  test('a partner met again within the budget is passed over without using a rank number', () => {
    const s = selectFloatLayers(losses, 10, graph);
    expect(s.layers).toEqual(['A', 'S', 'B', 'C', 'D', 'E']);
    expect(s.lines.filter((l) => l.startsWith('the layer')).map((l) => l.split(' sensitive')[0])).toEqual([
      'the layer A is 0', 'the layer B is 1', 'the layer D is 2', 'the layer E is 3', 'the layer S is 4', 'the layer C is 4',
    ]);
  });

  test('ties keep search order (stable sort); budget 0 selects nothing', () => {
    const tie: LayerLoss[] = [{ name: 'D', loss: 0.1, type: 'top.Add' }, { name: 'E', loss: 0.1, type: 'top.Conv' }];
    expect(selectFloatLayers(tie, 1, graph).layers).toEqual(['D']);
    expect(selectFloatLayers(tie, 0, graph).layers).toEqual([]);
  });
});

describe('budgetSearch', () => {
  const names = Array.from({ length: 40 }, (_, i) => `L${i}`);
  const select = (n: number) => names.slice(0, n);
  const cosOf = (set: string[]) => (set.length >= 12 ? 0.995 : 0.98);

  test('q8 passes: binary search in [max, q8]; the smallest passing set is kept, upstream would keep the last (failing) one', async () => {
    const asked: number[] = [];
    const log: string[] = [];
    const r = await budgetSearch({ maxFloatLayers: 5, layers: select(5), cos: 0.98 }, {
      q8: 20, expectedCos: 0.99, select, log: (l) => log.push(l),
      evaluate: async (set) => { asked.push(set.length); return cosOf(set); },
    });
    // 20 (pass) → mid 12 (pass, hi 11) → mid 8 (fail, lo 9) → mid 10 (fail, lo 11) → mid 11 (fail, lo 12) → stop
    expect(asked).toEqual([20, 12, 8, 10, 11]);
    expect(r.evaluations.map((e) => e.maxFloatLayers)).toEqual([5, 20, 12, 8, 10, 11]);
    expect(r.lastEvaluated.maxFloatLayers).toBe(11);
    expect(r.lastEvaluated.cos).toBe(0.98);
    expect(r.chosen.layers).toEqual(select(12));
    expect(r.chosen.cos).toBe(0.995);
    expect(log[0]).toBe('float layer number: 20, mix model outputs_cos: 0.995');
  });

  test('q8 fails: no binary search, the q8 set is kept (it is also the last evaluated)', async () => {
    const asked: number[] = [];
    const r = await budgetSearch({ maxFloatLayers: 5, layers: select(5), cos: 0.98 }, { q8: 20, expectedCos: 0.99, select, evaluate: async (s) => { asked.push(s.length); return 0.985; } });
    expect(asked).toEqual([20]);
    expect(r.chosen.maxFloatLayers).toBe(20);
  });

  test('already passing, or q8 not above the budget: nothing evaluated', async () => {
    const ev = async () => { throw new Error('evaluated'); };
    const pass = await budgetSearch({ maxFloatLayers: 5, layers: select(5), cos: 0.995 }, { q8: 20, expectedCos: 0.99, select, evaluate: ev });
    expect(pass.chosen.maxFloatLayers).toBe(5);
    const small = await budgetSearch({ maxFloatLayers: 5, layers: select(5), cos: 0.98 }, { q8: 5, expectedCos: 0.99, select, evaluate: ev });
    expect(small.evaluations).toHaveLength(1);
  });

  test('a set seen before is not evaluated again', async () => {
    const asked: number[] = [];
    // only 9 layers exist: select(n) for n >= 9 is the same set
    const few = (n: number) => names.slice(0, Math.min(n, 9));
    const r = await budgetSearch({ maxFloatLayers: 5, layers: few(5), cos: 0.98 }, { q8: 20, expectedCos: 0.99, select: few, evaluate: async (s) => { asked.push(s.length); return s.length >= 9 ? 0.995 : 0.98; } });
    // n = 20, 12, 8, 10, 9 give the sets of 9, 9, 8, 9, 9 layers: two distinct sets, two evaluations
    expect(r.evaluations.map((e) => e.maxFloatLayers)).toEqual([5, 20, 12, 8, 10, 9]);
    expect(asked).toEqual([9, 8]);
    expect(r.chosen.layers).toHaveLength(9);
  });
});
