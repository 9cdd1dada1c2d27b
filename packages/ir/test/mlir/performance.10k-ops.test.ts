// A 10k-op module parses and prints in well under a second on a developer machine (about 0.2 s
// for both); the bound here is loose so a loaded CI runner passes, while anything quadratic fails.
import { describe, expect, it } from 'vitest';
import { parseMlir, printMlir } from '@tpu-quant/ir';

function bigModule(n: number): string {
  const t = 'tensor<1x64x56x56xf32>';
  const lines = [
    '#loc = loc(unknown)',
    'module @big attributes {module.chip = "ALL", module.platform = "ONNX", module.state = "TOP_F32", module.weight_file = "big_top_f32_all_weight.npz"} {',
    `  func.func @main(%arg0: ${t} loc(unknown)) -> ${t} {`,
    `    %0 = "top.Input"(%arg0) {do_preprocess = false} : (${t}) -> ${t} loc(#loc1)`,
  ];
  let loc = 2;
  for (let i = 1; i < n; i++) {
    if (i % 3 === 1) {
      lines.push(`    %${i} = "top.Weight"() : () -> tensor<64x64x3x3xf32> loc(#loc${loc++})`);
    } else if (i % 3 === 2) {
      lines.push(
        `    %${i} = "top.Conv"(%${i - 2}, %${i - 1}) {dilations = [1, 1], do_relu = ${i % 2 === 0}, group = 1 : i64, kernel_shape = [3, 3], pads = [1, 1, 1, 1], relu_limit = ${(i % 7) - 1}.000000e+00 : f64, strides = [1, 1]} : (${t}, tensor<64x64x3x3xf32>) -> ${t} loc(#loc${loc++})`,
      );
    } else {
      lines.push(`    %${i} = "top.AddConst"(%${i - 1}) {const_val = ${((i * 0.37) % 5).toFixed(4)} : f64, do_relu = false, relu_limit = -1.000000e+00 : f64} : (${t}) -> ${t} loc(#loc${loc++})`);
    }
  }
  lines.push(`    return %${n - 1} : ${t} loc(#loc)`, '  } loc(#loc)', '} loc(#loc)');
  for (let i = 1; i < loc; i++) lines.push(`#loc${i} = loc("tensor_${i}")`);
  return `${lines.join('\n')}\n`;
}

describe('performance', () => {
  it('parses and prints a 10k-op module quickly', () => {
    const text = bigModule(10_000);
    const t0 = performance.now();
    const m = parseMlir(text);
    const t1 = performance.now();
    const out = printMlir(m);
    const t2 = performance.now();
    expect(m.main.ops).toHaveLength(10_001); // with the return
    expect(out).toBe(text);
    expect(t1 - t0).toBeLessThan(3000);
    expect(t2 - t1).toBeLessThan(3000);
    const fresh = printMlir(m, { useSourceLayout: false });
    expect(fresh.length).toBeGreaterThan(text.length / 2);
  });
});
