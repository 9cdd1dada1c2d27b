// `pnpm --filter @tpu-quant/scripts conformance [--update]`: the ONNX node-test pass rate, ours
// next to onnxruntime's; --update rewrites the expected-failures list the test guards.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatSummary, runConformance } from './onnx-conformance.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const assets = process.env.TPUQ_ASSETS ?? join(root, '..', 'shared', 'assets');
const summary = await runConformance(join(assets, 'onnx-node-tests', 'node'), join(assets, 'onnx-node-tests', 'ort-1.30.0-node-results.json'));
console.log(formatSummary(summary));
if (process.argv.includes('--update')) {
  const failures = Object.fromEntries(summary.results.filter((r) => r.outcome !== 'pass').map((r) => [r.name, `${r.outcome}: ${r.detail ?? ''}`]));
  writeFileSync(join(root, 'tools/scripts/test/fixtures/onnx-node-expected-failures.json'), `${JSON.stringify(failures, null, 2)}\n`);
  console.log(`wrote ${Object.keys(failures).length} expected failures`);
}
