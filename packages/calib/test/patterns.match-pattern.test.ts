// matchPattern: TPU-MLIR's MatchPattern (spec §10.2) on small top modules built as chains of op
// types, and the qtable text run_calibration writes from it.
import { describe, expect, test } from 'vitest';
import { formatQtable } from '../src/tables/qtable.js';
import { matchPattern, SUB_BLOCKS } from '../src/patterns/index.js';
import { chainModule } from './chain-module.js';

const named = (types: readonly string[], prefix: string) => types.map((type, i) => ({ type, name: `${prefix}${i}` }));

describe('matchPattern', () => {
  test('no block and no --part_quantize: nothing (no qtable is written)', () => {
    expect(matchPattern(chainModule(named(['top.Conv', 'top.Relu', 'top.MaxPool'], 'op')))).toBeUndefined();
  });

  test('a BERT block: the Add before each LayerNorm, every GELU, and the MatMul after a GELU', () => {
    const bert = SUB_BLOCKS.get('bert_block')!;
    const m = chainModule([{ type: 'top.Conv', name: 'stem' }, ...named(bert, 'b'), ...named(['top.Relu'], 'tail')]);
    const r = matchPattern(m)!;
    expect(r.block).toBe('bert_block');
    expect(r.count).toBe(1);
    // bert_block: Add(0) LayerNorm(1) ... Add(19) LayerNorm(20) MatMul(21) GELU(22) MatMul(23)
    expect(bert[0]).toBe('top.Add');
    expect(bert[19]).toBe('top.Add');
    expect(r.floatOps).toEqual(['b0', 'b19', 'b22', 'b23']);
    expect(r.partQuantize).toBe(false);
  });

  test('the first block in upstream order wins, and occurrences are counted without overlap', () => {
    const vit = SUB_BLOCKS.get('vit_block')!;
    const r = matchPattern(chainModule([...named(vit, 'a'), ...named(vit, 'b')]))!;
    expect(r.block).toBe('vit_block');
    expect(r.count).toBe(2);
    // the Adds before the LayerNorms (0, 21) and the GELU (24) of each block; with < 20 blocks the
    // rule "the MatMul after a Softmax" adds nothing here, a Permute follows each Softmax (15)
    expect([vit[15], vit[16]]).toEqual(['top.Softmax', 'top.Permute']);
    expect(r.floatOps).toEqual(['a0', 'a21', 'a24', 'b0', 'b21', 'b24']);
  });

  test('YOLO: SPP (3 MaxPool + Concat) with a yolov7 tail in another order: the window and all it reaches', () => {
    const m = chainModule([
      { type: 'top.Conv', name: 'c0' },
      { type: 'top.MaxPool', name: 'p1' },
      { type: 'top.MaxPool', name: 'p2' },
      { type: 'top.MaxPool', name: 'p3' },
      { type: 'top.Concat', name: 'spp', from: ['c0', 'p1', 'p2', 'p3'] },
      { type: 'top.Conv', name: 'head' },
      // yolov7 = MulConst Add Mul Mul Concat Reshape, as a multiset
      { type: 'top.Mul', name: 't0' },
      { type: 'top.MulConst', name: 't1' },
      { type: 'top.Add', name: 't2' },
      { type: 'top.Mul', name: 't3' },
      { type: 'top.Concat', name: 't4' },
      { type: 'top.Reshape', name: 't5' },
      { type: 'top.Sigmoid', name: 'after1' },
      { type: 'top.Relu', name: 'after2' },
    ]);
    const r = matchPattern(m)!;
    expect(r.block).toBe('yolo_block');
    expect(r.post).toEqual({ name: 'yolov7', count: 1 });
    expect(r.floatOps).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 'after1', 'after2']);
  });

  test('YOLO without a known tail: an empty list (the qtable is still written)', () => {
    const r = matchPattern(chainModule(named(['top.MaxPool', 'top.MaxPool', 'top.MaxPool', 'top.Concat', 'top.Conv'], 'y')))!;
    expect(r.block).toBe('yolo_block');
    expect(r.post).toBeUndefined();
    expect(r.floatOps).toEqual([]);
  });

  test('--part_quantize: every op but Conv, MatMul and the listed types (top.Input included); presets', () => {
    const m = chainModule(named(['top.Conv', 'top.Relu', 'top.Add', 'top.MatMul', 'top.Sigmoid', 'top.AvgPool'], 'o'));
    expect(matchPattern(m, { partQuantize: [] })!.floatOps).toEqual(['x', 'o1', 'o2', 'o4', 'o5']);
    expect(matchPattern(m, { partQuantize: ['Add', 'top.Relu'] })!.floatOps).toEqual(['x', 'o4', 'o5']);
    expect(matchPattern(m, { partQuantize: ['N_mode'] })!.floatOps).toEqual(['x']);
    expect(matchPattern(m, { partQuantize: ['H_mode'] })!.floatOps).toEqual(['x', 'o1', 'o2', 'o4']);
    const custom = matchPattern(m, { partQuantize: ['custom_mode'], customOperators: ['Sigmoid'] })!;
    expect(custom.floatOps).toEqual(['x', 'o0', 'o1', 'o2', 'o3', 'o5']);
    expect(custom.partQuantize).toBe(true);
  });

  test('the qtable text: header with the part_quantize line, one op per line', () => {
    const text = formatQtable({ time: new Date(2026, 0, 2, 3, 4, 5, 6), chip: 'bm1684x', mode: 'F16', partQuantize: true }, [{ name: 'x', mode: 'F16' }]);
    expect(text).toBe([
      '# genetated time: 2026-01-02 03:04:05.006000',
      '# chip: bm1684x  mix_mode: F16',
      '# number of F16 layer: 1',
      '# part_quantize ',
      '###',
      '# op_name   quantize_mode',
      'x F16',
      '',
    ].join('\n'));
  });
});
