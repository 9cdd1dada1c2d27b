import { describe, expect, it } from 'vitest';
import { attrKindProblem, getOpDef, listOpDefs } from '../../src/core/index.js';
import { topOps } from '../../src/dialects/index.js';
import { activationOps } from '../../src/dialects/top/table/activation.js';
import { convPoolOps } from '../../src/dialects/top/table/conv-pool.js';
import { detectionOps } from '../../src/dialects/top/table/detection.js';
import { elementwiseOps } from '../../src/dialects/top/table/elementwise.js';
import { indexingOps } from '../../src/dialects/top/table/indexing.js';
import { ioOps } from '../../src/dialects/top/table/io.js';
import { layoutOps } from '../../src/dialects/top/table/layout.js';
import { normOps } from '../../src/dialects/top/table/norm.js';

/** The catalogue of deploy spec §2.3 that tpu-quant must know. */
const CATALOGUE = `Input Weight None Conv Deconv MatMul Add Sub Mul Div Max Min AddConst SubConst MulConst DivConst
  MaxConst MinConst Concat MaxPool AvgPool AdaptiveAvgPool Relu LeakyRelu PRelu Clip Sigmoid SiLU GELU HardSigmoid
  HardSwish Mish Tanh Exp Log Sqrt Rsqrt Reciprocal Abs Erf Softplus Elu Sin Cos Pow Softmax LayerNorm GroupNorm
  InstanceNorm RMSNorm BatchNorm Scale Reshape Flatten Squeeze Unsqueeze Permute Transpose Slice StridedSlice Split Pad
  Upsample Interp Depth2Space Reduce Gather GatherElements ScatterND Where Compare CompareConst Tile Expand Arg TopK
  Cast Lut Shape ConstantFill Range QuantizeLinear DequantizeLinear YoloDetection DetectionOutput LSTM GRU Attention`.split(/\s+/);

/** Ops declared without a shape function, and why. */
const NO_SHAPE: Record<string, string> = {
  Weight: 'its type is its data',
  None: 'type none',
  Attention: 'not inferred yet',
};

describe('the top table', () => {
  it('declares every op of the catalogue and registers it on import', () => {
    for (const name of CATALOGUE) {
      expect(topOps.ops, name).toHaveProperty(name);
      expect(getOpDef(`top.${name}`)).toBe(topOps.ops[name as keyof typeof topOps.ops]);
    }
    expect(listOpDefs('top')).toHaveLength(topOps.list.length);
  });

  it('has no op in two families', () => {
    const families = [ioOps, convPoolOps, elementwiseOps, activationOps, normOps, layoutOps, indexingOps, detectionOps];
    const keys = families.flatMap((f) => Object.keys(f));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('gives every op a shape function except the listed ones', () => {
    const missing = topOps.list.filter((d) => !d.inferShapes).map((d) => d.name.slice(4));
    expect(missing.sort()).toEqual(Object.keys(NO_SHAPE).sort());
  });

  it('has defaults of the declared kinds, inside their enums', () => {
    for (const def of topOps.list) {
      for (const [name, spec] of Object.entries(def.attrs)) {
        if (spec.default) expect(attrKindProblem(spec, spec.default), `${def.name}.${name}`).toBeUndefined();
        expect(spec.type === 'enum' ? spec.values?.length : 1, `${def.name}.${name}`).toBeGreaterThan(0);
      }
      expect(def.summary.length, def.name).toBeGreaterThan(0);
    }
  });
});
