// TPU-MLIR's OnnxOpt fusions: PyTorch's decomposed LayerNorm / GELU / HardSigmoid / HardSwish
// chains become one top op named "<last output>_<OpType>"; near misses (a wrong constant, an
// inner result read elsewhere, other axes, a weight that does not span the normalized dims)
// keep the chain as it was.
import { attrToNumbers, verifyModule, type Module, type TensorType } from '@tpu-quant/ir';
import { describe, expect, it } from 'vitest';
import { importOnnx, type NodeProto, type TensorProto } from '../src/index.js';
import { floatTensor, modelBytes, node, valueInfo } from './fixtures/onnx-build.js';
import { layerNormChain, geluErfChain, geluTanhChain, hardSwishChain, hardSigmoidChain } from './fixtures/torch-chains.js';

function types(m: Module): string[] {
  return m.main.ops.filter((o) => !['func.return', 'top.None', 'top.Weight', 'top.Input'].includes(o.type)).map((o) => o.type);
}

function importChain(c: { nodes: NodeProto[]; initializers: TensorProto[] }, shape: number[], extra: { nodes?: NodeProto[]; outputs?: string[] } = {}, fusePatterns = true): Module {
  const m = importOnnx(
    modelBytes({ inputs: [valueInfo('x', shape)], initializers: c.initializers, nodes: [...c.nodes, ...(extra.nodes ?? [])], outputs: extra.outputs ?? ['y'] }),
    { modelName: 'chain', fusePatterns },
  );
  verifyModule(m);
  return m;
}

describe('LayerNorm chain', () => {
  it('fuses the affine chain into top.LayerNorm at "<bias Add output>_LayerNormalization"', () => {
    const m = importChain(layerNormChain({ axes: [-1], eps: 1e-5, channels: 8 }), [2, 4, 8]);
    expect(types(m)).toEqual(['top.LayerNorm']);
    const ln = m.main.ops.find((o) => o.type === 'top.LayerNorm')!;
    expect(ln.name).toBe('y_LayerNormalization');
    // convert_layer_norm_op: a non-negative axis, normalized_shape, weights as [1, 1, C]
    expect(ln.attrs.get('axis')).toMatchObject({ value: 2 });
    expect(attrToNumbers(ln.attrs.get('normalized_shape')!)).toEqual([8]);
    expect(ln.operands.slice(1).map((v) => (v.type as TensorType).shape)).toEqual([[1, 1, 8], [1, 1, 8]]);
    expect(ln.attrs.get('eps')).toMatchObject({ value: Math.fround(1e-5) });
    expect(ln.operands.map((v) => v.owner?.name)).toEqual(['x', 'w', 'b']);
  });

  it('fuses the chain without weight and bias, and over two trailing axes', () => {
    const plain = importChain(layerNormChain({ axes: [-1], eps: 1e-6, channels: 8, affine: false }), [2, 4, 8]);
    expect(types(plain)).toEqual(['top.LayerNorm']);
    expect(plain.main.ops.find((o) => o.type === 'top.LayerNorm')!.operands.filter((v) => v.producer?.type === 'top.None')).toHaveLength(2);
    const two = importChain(layerNormChain({ axes: [-2, -1], eps: 1e-5, weightShape: [4, 8] }), [2, 4, 8]);
    expect(types(two)).toEqual(['top.LayerNorm']);
    const ln2 = two.main.ops.find((o) => o.type === 'top.LayerNorm')!;
    expect([ln2.attrs.get('axis'), attrToNumbers(ln2.attrs.get('normalized_shape')!)]).toMatchObject([{ value: 1 }, [4, 8]]);
    expect((ln2.operand(1).type as TensorType).shape).toEqual([1, 4, 8]);
  });

  it('keeps the chain when a constant, an axis or a use does not fit', () => {
    const unfused = ['top.Reduce', 'top.Sub', 'top.Mul', 'top.Reduce', 'top.AddConst', 'top.Sqrt', 'top.Div', 'top.Mul', 'top.Add'];
    // Pow by 3 instead of 2
    expect(types(importChain(layerNormChain({ axes: [-1], eps: 1e-5, channels: 8, pow: 3 }), [2, 4, 8]))).not.toContain('top.LayerNorm');
    // positive axes (upstream's check wants them counted from the end)
    expect(types(importChain(layerNormChain({ axes: [2], eps: 1e-5, channels: 8 }), [2, 4, 8]))).not.toContain('top.LayerNorm');
    // the two ReduceMeans over different axes
    expect(types(importChain(layerNormChain({ axes: [-1], axes2: [-2, -1], eps: 1e-5, channels: 8 }), [2, 4, 8]))).not.toContain('top.LayerNorm');
    // the centred tensor is also a graph output
    const extraUse = importChain(layerNormChain({ axes: [-1], eps: 1e-5, channels: 8 }), [2, 4, 8], { outputs: ['y', 'd'] });
    expect(types(extraUse)).not.toContain('top.LayerNorm');
    // a weight broadcast over a dim it does not span ([4, 1] against [.., 4, 8] with axis -1)
    const bcast = importChain(layerNormChain({ axes: [-1], eps: 1e-5, weightShape: [4, 1] }), [2, 4, 8]);
    expect(types(bcast)).not.toContain('top.LayerNorm');
    expect(types(bcast).length).toBe(unfused.length);
  });

  it('fuses nothing with fusePatterns false', () => {
    expect(types(importChain(layerNormChain({ axes: [-1], eps: 1e-5, channels: 8 }), [2, 4, 8], {}, false))).not.toContain('top.LayerNorm');
  });
});

describe('GELU chains', () => {
  it('fuses the erf form into top.GELU at "<last Mul output>_GELU"', () => {
    const m = importChain(geluErfChain({}), [2, 16]);
    expect(types(m)).toEqual(['top.GELU']);
    const g = m.main.ops.find((o) => o.type === 'top.GELU')!;
    expect(g.name).toBe('y_GELU');
    expect(g.operands[0]!.owner?.name).toBe('x');
    expect(g.attrs.get('approx_mode')).toMatchObject({ value: 'normal' });
  });

  it('fuses the tanh form into a tanh-approximated top.GELU', () => {
    const m = importChain(geluTanhChain({}), [2, 16]);
    expect(types(m)).toEqual(['top.GELU']);
    expect(m.main.ops.find((o) => o.type === 'top.GELU')!.attrs.get('approx_mode')).toMatchObject({ value: 'tanh' });
  });

  it('matches Mul and Add with swapped inputs', () => {
    expect(types(importChain(geluErfChain({ swapped: true }), [2, 16]))).toEqual(['top.GELU']);
  });

  it('keeps the chain for a wrong constant or an inner result read elsewhere', () => {
    expect(types(importChain(geluErfChain({ half: 0.25 }), [2, 16]))).not.toContain('top.GELU');
    expect(types(importChain(geluErfChain({ sqrt2: 1.5 }), [2, 16]))).not.toContain('top.GELU');
    expect(types(importChain(geluTanhChain({ c1: 0.05 }), [2, 16]))).not.toContain('top.GELU');
    const extra = importChain(geluErfChain({}), [2, 16], { nodes: [node('Relu', ['g_erf'], ['r'])], outputs: ['y', 'r'] });
    expect(types(extra)).not.toContain('top.GELU');
  });

  it('looks through Cast nodes inside the chain, as upstream removes them first', () => {
    const c = geluErfChain({});
    const nodes = c.nodes.map((n) => (n.output![0] === 'g_erf' ? { ...n, output: ['g_erf0'] } : n));
    nodes.splice(nodes.findIndex((n) => n.output![0] === 'g_erf0') + 1, 0, node('Cast', ['g_erf0'], ['g_erf'], { to: 1 }));
    const m = importChain({ nodes, initializers: c.initializers }, [2, 16]);
    expect(types(m)).toEqual(['top.GELU']);
  });

  it('needs the chain nodes one after the other, as upstream scans the node list', () => {
    const c = geluErfChain({});
    // an unrelated computed node between Erf and Add breaks the chain
    const nodes = [...c.nodes.slice(0, 2), node('Relu', ['x'], ['r']), ...c.nodes.slice(2)];
    const m = importChain({ nodes, initializers: c.initializers }, [2, 16], { outputs: ['y', 'r'] });
    expect(types(m)).not.toContain('top.GELU');
  });
});

describe('HardSigmoid / HardSwish chains', () => {
  it('fuses relu6(x + 3) / 6 into top.HardSigmoid(1/6, 0.5) and x·relu6(x + 3) / 6 into top.HardSwish', () => {
    const hs = importChain(hardSigmoidChain({}), [1, 4, 3, 3]);
    expect(types(hs)).toEqual(['top.HardSigmoid']);
    const op = hs.main.ops.find((o) => o.type === 'top.HardSigmoid')!;
    expect(op.name).toBe('y_HardSigmoid');
    expect(op.attrs.get('alpha')).toMatchObject({ value: 1 / 6 });
    expect(op.attrs.get('beta')).toMatchObject({ value: 0.5 });
    const sw = importChain(hardSwishChain({}), [1, 4, 3, 3]);
    expect(types(sw)).toEqual(['top.HardSwish']);
    expect(sw.main.ops.find((o) => o.type === 'top.HardSwish')!.name).toBe('y_HardSwish');
  });

  it('reads low-opset Clip bounds from attributes', () => {
    const m = importOnnx(
      modelBytes({
        opset: 9,
        inputs: [valueInfo('x', [1, 4])],
        initializers: [floatTensor('three', [], [3]), floatTensor('six', [], [6])],
        nodes: [node('Add', ['x', 'three'], ['a']), node('Clip', ['a'], ['c'], { min: { f: 0 }, max: { f: 6 } }), node('Div', ['c', 'six'], ['y'])],
        outputs: ['y'],
      }),
      { modelName: 'clip9' },
    );
    expect(types(m)).toEqual(['top.HardSigmoid']);
  });

  it('fuses a PyTorch HardSigmoid node times its input into top.HardSwish, but not another alpha', () => {
    const build = (alpha: number): Module =>
      importOnnx(
        modelBytes({
          inputs: [valueInfo('x', [1, 4])],
          nodes: [node('HardSigmoid', ['x'], ['h'], { alpha: { f: alpha }, beta: { f: 0.5 } }), node('Mul', ['x', 'h'], ['y'])],
          outputs: ['y'],
        }),
        { modelName: 'hsw' },
      );
    expect(types(build(Math.fround(1 / 6)))).toEqual(['top.HardSwish']);
    expect(types(build(0.2))).toEqual(['top.HardSigmoid', 'top.Mul']);
  });

  it('keeps the chain for clip bounds other than 0 and 6', () => {
    expect(types(importChain(hardSwishChain({ hi: 5 }), [1, 4, 3, 3]))).not.toContain('top.HardSwish');
  });
});
