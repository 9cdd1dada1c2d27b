// Runs ONNX's backend node tests through our importer and executor. Shared by the conformance
// test (which guards against regressions) and tools/bench's report of the pass rate.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CONVERTED_ONNX_OPS, decodeOnnxModel, decodeOnnxTensor, decodeOnnxTensorProto, encodeOnnxModel, importOnnx, listOnnxOps,
  type ModelProto,
} from '@tpu-quant/frontend-onnx';
import type { NdArray } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';

export type Outcome = 'pass' | 'mismatch' | 'import_fail' | 'run_fail';

export interface CaseResult {
  name: string;
  outcome: Outcome;
  detail?: string;
}

/** Cases whose every op is one the importer converts to top ops. */
export function supportedCases(nodeDir: string): string[] {
  const supported = new Set(CONVERTED_ONNX_OPS);
  return readdirSync(nodeDir)
    .filter((d) => existsSync(join(nodeDir, d, 'model.onnx')) && existsSync(join(nodeDir, d, 'test_data_set_0')))
    .filter((d) => {
      try {
        const model = decodeOnnxModel(readFileSync(join(nodeDir, d, 'model.onnx')), d);
        return listOnnxOps(model).every((o) => supported.has(o.opType));
      } catch {
        return false;
      }
    })
    .sort();
}

function readTensors(dir: string, prefix: string): NdArray[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
    .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]))
    .map((f) => decodeOnnxTensor(readFileSync(join(dir, f)), f).array);
}

/**
 * Operand positions that are parameters (axes, shapes, pads, scales...) rather than data. The
 * node tests feed them as graph inputs; a compiled model (TPU-MLIR's, ours) needs them constant,
 * so the harness bakes those inputs into the model as initializers, from the case's own data.
 */
const PARAMETER_OPERANDS: Record<string, number> = {
  Resize: 1, Upsample: 1, Clip: 1, Pad: 1, Reshape: 1, Slice: 1, Split: 1, Tile: 1, Expand: 1, Squeeze: 1, Unsqueeze: 1,
  ReduceMean: 1, ReduceMax: 1, ReduceMin: 1, ReduceSum: 1, ReduceProd: 1, ReduceL1: 1, ReduceL2: 1,
};

function bakeParameterInputs(model: ModelProto, data: string): ModelProto {
  const graph = model.graph!;
  const params = new Set<string>();
  for (const node of graph.node ?? []) {
    const from = PARAMETER_OPERANDS[node.op_type ?? ''];
    if (from === undefined) continue;
    (node.input ?? []).forEach((name, i) => {
      if (i >= from && name) params.add(name);
    });
  }
  const inputs = graph.input ?? [];
  const files = readdirSync(data).filter((f) => f.startsWith('input_') && f.endsWith('.pb'));
  for (const [i, inp] of inputs.entries()) {
    if (!params.has(inp.name ?? '')) continue;
    const file = files.find((f) => Number(f.match(/\d+/)![0]) === i);
    if (!file) continue;
    const t = decodeOnnxTensorProto(readFileSync(join(data, file)), file);
    (graph.initializer ??= []).push({ ...t, name: inp.name });
  }
  graph.input = inputs.filter((inp) => !params.has(inp.name ?? ''));
  return model;
}

/** ORT's harness tolerance: |a - b| <= 1e-5 + 1e-3 |b|. */
function close(got: NdArray, want: NdArray): string | undefined {
  const a = got.data as ArrayLike<number>;
  const b = want.data as ArrayLike<number>;
  if (a.length !== b.length) return `has ${a.length} elements, expected ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]);
    const y = Number(b[i]);
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    if (!(Math.abs(x - y) <= 1e-5 + 1e-3 * Math.abs(y))) return `element ${i} is ${x}, expected ${y}`;
  }
  return undefined;
}

export async function runCase(nodeDir: string, name: string): Promise<CaseResult> {
  const dir = join(nodeDir, name);
  const data = join(dir, 'test_data_set_0');
  let inputs: NdArray[];
  let expected: NdArray[];
  let session;
  try {
    const model = bakeParameterInputs(decodeOnnxModel(readFileSync(join(dir, 'model.onnx')), name), data);
    const baked = new Set((model.graph!.initializer ?? []).map((t) => t.name));
    const all = readTensors(data, 'input_');
    const originalInputs = decodeOnnxModel(readFileSync(join(dir, 'model.onnx')), name).graph!.input ?? [];
    inputs = all.filter((_, i) => !baked.has(originalInputs[i]?.name));
    expected = readTensors(data, 'output_');
    const module = importOnnx(encodeOnnxModel(model), { modelName: name, inputShapes: inputs.map((a) => [...a.shape]) });
    session = await createSession(module);
  } catch (e) {
    return { name, outcome: 'import_fail', detail: (e as Error).message.split('\n')[0] };
  }
  try {
    const feeds = new Map(session.inputNames.map((n, i) => [n, inputs[i]!] as const));
    const { outputs } = await session.run(feeds);
    for (const [i, want] of expected.entries()) {
      const got = outputs.get(session.outputNames[i]!);
      const why = got ? close(got, want) : 'missing';
      if (why) return { name, outcome: 'mismatch', detail: `output ${i} ${why}` };
    }
    return { name, outcome: 'pass' };
  } catch (e) {
    return { name, outcome: 'run_fail', detail: (e as Error).message.split('\n')[0] };
  }
}

export interface ConformanceSummary {
  cases: number;
  counts: Record<Outcome, number>;
  /** How many of the same cases onnxruntime-node 1.30 passes (from the assets' results file). */
  ortPass: number;
  results: CaseResult[];
}

/** Runs every case of supported ops and counts outcomes next to ORT's on the same cases. */
export async function runConformance(nodeDir: string, ortResultsFile: string): Promise<ConformanceSummary> {
  const cases = supportedCases(nodeDir);
  const ort = JSON.parse(readFileSync(ortResultsFile, 'utf8')) as { pass: string[] };
  const ortPass = new Set(ort.pass);
  const results: CaseResult[] = [];
  for (const c of cases) results.push(await runCase(nodeDir, c));
  const counts: Record<Outcome, number> = { pass: 0, mismatch: 0, import_fail: 0, run_fail: 0 };
  for (const r of results) counts[r.outcome]++;
  return { cases: cases.length, counts, ortPass: cases.filter((c) => ortPass.has(c)).length, results };
}

export function formatSummary(s: ConformanceSummary): string {
  const pct = (n: number) => `${((100 * n) / s.cases).toFixed(1)} %`;
  return [
    `ONNX node tests of supported ops: ${s.cases} cases`,
    `  tpu-quant (import + js executor): ${s.counts.pass} pass (${pct(s.counts.pass)}), ${s.counts.mismatch} mismatch, ${s.counts.import_fail} refused at import, ${s.counts.run_fail} failed to run`,
    `  onnxruntime-node 1.30 on the same cases: ${s.ortPass} pass (${pct(s.ortPass)})`,
  ].join('\n');
}
