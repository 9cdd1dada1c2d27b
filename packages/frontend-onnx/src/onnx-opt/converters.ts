// Converters for fused node types that are not ONNX ops (upstream's OnnxConverter has them for
// the nodes OnnxOpt creates).
import { top } from '@tpu-quant/ir';
import type { Converter } from '../converters/context.js';

export const FUSED_CONVERTERS: Readonly<Record<string, Converter>> = {
  // OnnxConverter's convert_gelu_op: top.GELU at "<output>_GELU".
  GELU: (ctx) => {
    const mode = ctx.attrs.str('approx_mode', 'normal');
    const attrs = mode === 'tanh' ? { approx_mode: 'tanh' as const } : {};
    ctx.setOutput(top.gelu(ctx.b, { input: ctx.value(0) }, attrs, { loc: ctx.loc() }));
  },
};
