import { describe, expect, it } from 'vitest';
import { builderName, declNames } from '../src/naming.js';

describe('builder names', () => {
  it.each([
    ['Conv', 'conv'],
    ['MatMul', 'matMul'],
    ['GELU', 'gelu'],
    ['LSTM', 'lstm'],
    ['RMSNorm', 'rmsNorm'],
    ['SiLU', 'siLU'],
    ['PRelu', 'pRelu'],
    ['Depth2Space', 'depth2Space'],
    ['ScatterND', 'scatterND'],
    ['Conv2D', 'conv2D'],
    ['If', 'if_'],
    ['Yield', 'yield_'],
  ])('%s → %s', (key, name) => {
    expect(builderName(key)).toBe(name);
  });

  it('derives type and reader names from the key', () => {
    expect(declNames('If')).toEqual({ attrs: 'IfAttrs', values: 'IfAttrValues', operands: 'IfOperands', reader: 'ifAttrs', builder: 'if_' });
  });
});
