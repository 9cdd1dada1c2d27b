// ONNX backend node tests through import + the js executor. A regression guard: every case of
// supported ops must pass unless it is listed, with its reason, in the expected-failures file;
// a listed case that now passes must be taken off the list (pnpm --filter @tpu-quant/scripts
// conformance --update), so the list stays honest.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { formatSummary, runConformance } from '../src/onnx-conformance.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const assets = resolve(process.env.TPUQ_ASSETS ?? join(root, '..', 'shared', 'assets'));
const nodeDir = join(assets, 'onnx-node-tests', 'node');
const have = existsSync(nodeDir);
if (!have) console.warn(`ONNX node tests not found under ${assets}: conformance test skipped`);

describe.skipIf(!have)('ONNX node conformance', () => {
  test('every supported-op case passes unless listed as an expected failure', async () => {
    const summary = await runConformance(nodeDir, join(assets, 'onnx-node-tests', 'ort-1.30.0-node-results.json'));
    console.log(formatSummary(summary));
    const expected = JSON.parse(readFileSync(new URL('./fixtures/onnx-node-expected-failures.json', import.meta.url), 'utf8')) as Record<string, string>;
    const unexpected = summary.results.filter((r) => r.outcome !== 'pass' && !(r.name in expected)).map((r) => `${r.name}: ${r.outcome} ${r.detail ?? ''}`);
    const nowPassing = summary.results.filter((r) => r.outcome === 'pass' && r.name in expected).map((r) => r.name);
    expect(unexpected, 'new failures').toEqual([]);
    expect(nowPassing, 'listed as failing but now pass: run conformance --update').toEqual([]);
    expect(summary.cases).toBeGreaterThan(500);
  }, 300_000);
});
