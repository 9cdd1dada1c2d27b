// Graph inputs and constants. Preprocessing attributes on top.Input describe what was done to
// the data before it reached the model, so the input passes through unchanged.
import { registerKernel, input0, jsKernel } from '../../registry.js';

jsKernel('Input', (ctx) => input0(ctx));

registerKernel({
  op: 'top.Weight',
  backend: 'js',
  run: (ctx) => {
    const w = ctx.op.name === undefined ? undefined : ctx.weights.get(ctx.op.name);
    if (!w) throw new Error(`weight "${ctx.op.name ?? '?'}" is not loaded`);
    return [w];
  },
});

registerKernel({ op: 'top.None', backend: 'js', run: () => [undefined] });
