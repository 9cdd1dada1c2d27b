// Normalisations and per-channel affine ops.
import { f64, fuseRelu, i64, i64Array, op, optional, si32, tensor, weight } from '../../op-dsl.js';
import { sameAs } from '../shapes/elementwise.js';
import { unary } from './common.js';

const affine = { input: tensor(), weight: optional(weight()), bias: optional(weight()) };

export const normOps = {
  BatchNorm: op({
    summary: '(x − mean)/√(variance + epsilon)·gamma + beta per channel; folded away by optimisation',
    operands: { input: tensor(), mean: weight(), variance: weight(), gamma: optional(weight()), beta: optional(weight()) },
    attrs: { epsilon: f64(1e-5), ...fuseRelu },
    shape: sameAs(),
  }),
  Scale: op({
    summary: 'x·scale + bias with scale and bias shaped [1, C, 1, 1]',
    operands: { input: tensor(), scale: weight(), bias: weight() },
    attrs: { ...fuseRelu },
    shape: sameAs(),
  }),
  LayerNorm: op({
    summary: 'Normalises over the axes from axis on, then weight·x + bias',
    operands: affine,
    attrs: { normalized_shape: i64Array(), axis: si32(), eps: f64() },
    shape: sameAs(),
  }),
  GroupNorm: op({
    summary: 'Normalises over channel groups, then weight·x + bias',
    operands: affine,
    attrs: { num_groups: i64(), eps: f64() },
    shape: sameAs(),
  }),
  InstanceNorm: op({
    summary: 'Normalises each channel of each sample, then weight·x + bias',
    operands: affine,
    attrs: { eps: f64() },
    shape: sameAs(),
  }),
  RMSNorm: op({
    summary: 'gamma·x/√(mean(x²) + eps) over the last axis',
    operands: { input: tensor(), gamma: optional(weight()) },
    attrs: { eps: f64() },
    shape: sameAs(),
  }),
  LRN: unary('Local response normalisation across channels', {
    size: i64(),
    alpha: f64(0.0001),
    beta: f64(0.75),
    bias: f64(1),
  }),
} as const;
