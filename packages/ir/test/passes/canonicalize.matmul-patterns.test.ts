// TPU-MLIR's MatMul canonicalizations (lib/Dialect/Top/Canonicalize/MatMul.cpp) on hand-built
// modules: MatMulWithBias takes the Add's weight as bias and the Add's name; MatMulWithSlice
// splits a MatMul read only by wide last-axis Slices into one MatMul per Slice with the weight
// and bias columns it reads. Both only where the result stays the same.
import { describe, expect, test } from 'vitest';
import {
  attrToBool, attrToNumber, f32, ndarray, runPipeline, top, verifyModule, type TensorType, type Value,
} from '@tpu-quant/ir';
import { data, graph, one, ret, types, type Built } from './canonicalize-graph.js';

const w = (g: Built, name: string, shape: number[]): Value =>
  g.b.weight(name, ndarray('f32', shape, Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, (_, i) => i + 1)));

async function canon(g: Built): Promise<void> {
  await runPipeline(g.m, 'canonicalize');
  verifyModule(g.m);
}

describe('MatMulWithBias', () => {
  test('MatMul(x, W) + b becomes MatMul(x, W, b) under the Add name, b on either side, of shape [N] or [1, 1, N]', async () => {
    for (const [order, bshape] of [['xb', [4]], ['bx', [1, 1, 4]]] as const) {
      const g = graph([2, 5, 3]);
      const wt = w(g, 'w', [3, 4]);
      const bias = w(g, 'b', [...bshape]);
      const mm = top.matMul(g.b, { input: g.x, right: wt }, {}, { loc: 'mm' }).result();
      const add = top.add(g.b, { inputs: order === 'xb' ? [mm, bias] : [bias, mm] }, {}, { loc: 'add' }).result();
      ret(g, add);
      await canon(g);
      expect(types(g.f)).toEqual(['top.Input', 'top.MatMul']);
      const m = one(g.f, 'top.MatMul');
      expect(m.name).toBe('add');
      expect(m.operand(2)).toBe(bias);
      expect(g.f.outputs[0]).toBe(m.result());
      expect([...g.m.weights.keys()].sort()).toEqual(['b', 'w']);
    }
  });

  test("the Add's relu moves onto the MatMul; a bias weight defined after the MatMul moves before it", async () => {
    const g = graph([5, 3]);
    const mm = top.matMul(g.b, { input: g.x, right: w(g, 'w', [3, 4]) }, {}, { loc: 'mm' }).result();
    const bias = w(g, 'b', [4]);
    ret(g, top.add(g.b, { inputs: [mm, bias] }, { do_relu: true, relu_limit: 6 }, { loc: 'add' }).result());
    await canon(g);
    const m = one(g.f, 'top.MatMul');
    expect([m.name, attrToBool(m.attr('do_relu')!), attrToNumber(m.attr('relu_limit')!)]).toEqual(['add', true, 6]);
    expect(g.f.indexOf(bias.producer!)).toBeLessThan(g.f.indexOf(m));
  });

  test('right_transpose reads N from the weight rows', async () => {
    const g = graph([5, 3]);
    const mm = top.matMul(g.b, { input: g.x, right: w(g, 'w', [4, 3]) }, { right_transpose: true }, { loc: 'mm' }).result();
    ret(g, top.add(g.b, { inputs: [mm, w(g, 'b', [4])] }, {}, { loc: 'add' }).result());
    await canon(g);
    expect(one(g.f, 'top.MatMul').name).toBe('add');
  });

  test('stays apart: MatMul used twice, an activation right side, an existing bias, a batched weight, a bias not over the last axis, coefficients, a broadcasting Add', async () => {
    const cases: ((g: Built) => Value[])[] = [
      (g) => {
        const mm = top.matMul(g.b, { input: g.x, right: w(g, 'w', [4, 4]) }, {}, { loc: 'mm' }).result();
        return [top.add(g.b, { inputs: [mm, w(g, 'b', [4])] }, {}, { loc: 'add' }).result(), mm];
      },
      (g) => {
        const mm = top.matMul(g.b, { input: g.x, right: g.x }, {}, { loc: 'mm' }).result();
        return [top.add(g.b, { inputs: [mm, w(g, 'b', [4])] }, {}, { loc: 'add' }).result()];
      },
      (g) => {
        const mm = top.matMul(g.b, { input: g.x, right: w(g, 'w', [4, 4]), bias: w(g, 'b0', [4]) }, {}, { loc: 'mm' }).result();
        return [top.add(g.b, { inputs: [mm, w(g, 'b', [4])] }, {}, { loc: 'add' }).result()];
      },
      (g) => {
        const mm = top.matMul(g.b, { input: g.x, right: w(g, 'w', [2, 4, 4]) }, {}, { loc: 'mm' }).result();
        return [top.add(g.b, { inputs: [mm, w(g, 'b', [4])] }, {}, { loc: 'add' }).result()];
      },
      (g) => {
        const mm = top.matMul(g.b, { input: g.x, right: w(g, 'w', [4, 4]) }, {}, { loc: 'mm' }).result();
        return [top.add(g.b, { inputs: [mm, w(g, 'b', [4, 1])] }, {}, { loc: 'add' }).result()];
      },
      (g) => {
        const mm = top.matMul(g.b, { input: g.x, right: w(g, 'w', [4, 4]) }, {}, { loc: 'mm' }).result();
        return [top.add(g.b, { inputs: [mm, w(g, 'b', [4])] }, { coeff: [1, -1] }, { loc: 'add' }).result()];
      },
      (g) => {
        const mm = top.matMul(g.b, { input: g.x, right: w(g, 'w', [4, 4]) }, {}, { loc: 'mm' }).result();
        return [top.add(g.b, { inputs: [mm, w(g, 'b', [1, 1, 4])] }, {}, { loc: 'add' }).result()];
      },
    ];
    for (const build of cases) {
      const g = graph([4, 4]);
      ret(g, ...build(g));
      await canon(g);
      expect(types(g.f)).toEqual(['top.Input', 'top.MatMul', 'top.Add']);
      expect(one(g.f, 'top.MatMul').name).toBe('mm');
    }
  });
});


/** x:[2, 3, 2] · W:[2, 4 + 256] (+ bias), then Slices of the last axis [begin, end). */
function qkv(ranges: [number, number][], opts: { bias?: boolean; axesForm?: boolean } = {}): { g: Built; outs: Value[] } {
  const g = graph([2, 3, 2]);
  const n = 260;
  const wt = g.b.weight('w', ndarray('f32', [2, n], Float32Array.from({ length: 2 * n }, (_, i) => i)));
  const bias = opts.bias ? g.b.weight('b', ndarray('f32', [n], Float32Array.from({ length: n }, (_, i) => -i))) : undefined;
  const mm = top.matMul(g.b, { input: g.x, right: wt, bias }, {}, { loc: 'qkv' }).result();
  const outs = ranges.map(([b, e], k) => {
    const attrs = opts.axesForm ? { axes: [2], offset: [b], ends: [e], steps: [1] } : { offset: [0, 0, b], ends: [2, 3, e], steps: [1, 1, 1] };
    return top.slice(g.b, { input: mm }, attrs, { loc: `s${k}` }).result();
  });
  ret(g, ...outs);
  return { g, outs };
}

describe('MatMulWithSlice', () => {
  test('one MatMul per Slice under its name, with weight columns `w__offset<k>` and bias `b__offset<k>`', async () => {
    for (const axesForm of [false, true]) {
      const { g } = qkv([[0, 128], [128, 256], [132, 260]], { bias: true, axesForm });
      await canon(g);
      expect(types(g.f)).toEqual(['top.Input', 'top.MatMul', 'top.MatMul', 'top.MatMul']);
      const mms = g.f.ops.filter((o) => o.type === 'top.MatMul');
      expect(mms.map((o) => o.name)).toEqual(['s0', 's1', 's2']);
      expect(mms.map((o) => o.operand(1).producer!.name)).toEqual(['w__offset0', 'w__offset128', 'w__offset132']);
      expect(mms.map((o) => o.operand(2).producer!.name)).toEqual(['b__offset0', 'b__offset128', 'b__offset132']);
      expect(mms.map((o) => (o.operand(1).type as TensorType).shape)).toEqual([[2, 128], [2, 128], [2, 128]]);
      expect(g.f.outputs).toEqual(mms.map((o) => o.result()));
      // columns 132..259 of the row-major [2, 260] weight i ↦ i, and the bias −i
      const w2 = data(g.m, mms[2]!.operand(1));
      expect([w2[0], w2[127], w2[128], w2[255]]).toEqual([132, 259, 392, 519]);
      expect(data(g.m, mms[2]!.operand(2)).slice(0, 2)).toEqual([-132, -133]);
      expect([...g.m.weights.keys()].sort()).toEqual(['b__offset0', 'b__offset128', 'b__offset132', 'w__offset0', 'w__offset128', 'w__offset132']);
      expect(mms.every((o) => o.operand(0) === g.x)).toBe(true);
    }
  });

  test('a MatMul without bias splits with None bias; its source weights stay untouched', async () => {
    const { g } = qkv([[0, 130], [130, 260]]);
    const source = g.m.weights.get('w')!.data as Float32Array; // the module's own array
    await canon(g);
    const mms = g.f.ops.filter((o) => o.type === 'top.MatMul');
    expect(mms.map((o) => o.operand(2).producer?.type)).toEqual(['top.None', 'top.None']);
    expect(data(g.m, mms[1]!.operand(1)).slice(0, 2)).toEqual([130, 131]);
    expect([source[5], source[300], source.length]).toEqual([5, 300, 520]);
    expect(g.m.weights.has('w')).toBe(false); // the unused source weight leaves the weight file
  });

  test('stays: a Slice narrower than 128 columns, a Slice of another axis, a non-Slice user', async () => {
    const narrow = qkv([[0, 100], [100, 260]]);
    await canon(narrow.g);
    expect(types(narrow.g.f)).toEqual(['top.Input', 'top.MatMul', 'top.Slice', 'top.Slice']);
    const g = graph([2, 3, 2]);
    const mm = top.matMul(g.b, { input: g.x, right: g.b.weight('w', ndarray('f32', [2, 200], new Float32Array(400))) }, {}, { loc: 'mm' }).result();
    const s0 = top.slice(g.b, { input: mm }, { offset: [0, 1, 0], ends: [2, 3, 200], steps: [1, 1, 1] }, { loc: 's0' }).result();
    ret(g, s0, mm);
    await canon(g);
    expect(types(g.f)).toEqual(['top.Input', 'top.MatMul', 'top.Slice']);
  });
});
