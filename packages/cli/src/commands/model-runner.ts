// `model_runner`: run a top or tpu .mlir (our reference executor), a .bmodel written by tpu-quant
// (the program it carries, from the file alone) or an .onnx (onnxruntime-node) on an input npz and
// save the outputs, or every tensor with --dump_all_tensors (TPU-MLIR model_runner). A .bmodel is
// fed and read as TPU-MLIR's runner does: float inputs quantized to its int8 / f16 / bf16 inputs,
// outputs dequantized to f32 (its default, without --out_fixed).
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { dequantizeAll, loadNpz, saveNpz, UserError, type NdArray } from '@tpu-quant/ir';
import { createSession, type SessionStats } from '@tpu-quant/runtime';
import { assertNotInput } from '../flags.js';
import { modelInputs } from '@tpu-quant/chip-bm168x';
import { loadBmodelProgram } from '../bmodel-files.js';
import { loadMlirModule } from '../model-files.js';
import { loadOrt, runOrtAllTensors } from '../ort-reference.js';

interface RunnerFlags {
  model: string;
  input: string;
  output: string;
  dump_all_tensors?: boolean;
  backend: string;
  threads?: string;
  stats?: boolean;
}

/** wasm and js run op by op; ort exports the module to ONNX and runs it in onnxruntime-node (float graphs). */
const BACKENDS = ['js', 'wasm', 'ort'] as const;

export function registerModelRunner(program: Command): void {
  program
    .command('model_runner')
    .description('run a .mlir (or .onnx through onnxruntime-node) on an input npz (TPU-MLIR model_runner)')
    .requiredOption('--model <file>', 'model: .mlir, .bmodel (written by tpu-quant) or .onnx')
    .requiredOption('--input <npz>', 'inputs, keyed by input name')
    .option('--output <npz>', 'where to save the results', '_output.npz')
    .option('--dump_all_tensors', 'save every intermediate tensor, not just the outputs')
    .option('--backend <name>', 'executor backend for .mlir models: wasm (SIMD kernels, js where none fits), js (reference) or ort (onnxruntime-node, float graphs)', 'wasm')
    .option('--threads <n>', 'threads for .mlir models: large convs and matmuls are split across them (default: all cores)')
    .option('--stats', 'print peak activation memory, weight memory and time per op type')
    .action(async (flags: RunnerFlags) => {
      assertNotInput(flags.output, [flags.input, flags.model]);
      const results = await runModel(flags);
      await saveNpz(flags.output, results);
      process.stdout.write(`Result saved to:${flags.output}\n`);
    });
}

export async function runModel(flags: RunnerFlags): Promise<Map<string, NdArray>> {
  const inputs = await loadNpz(flags.input);
  const ext = extname(flags.model).toLowerCase();
  if (ext === '.mlir' || ext === '.bmodel') {
    if (!(BACKENDS as readonly string[]).includes(flags.backend)) {
      throw new UserError('E_BAD_FLAG', `--backend ${flags.backend} is not available for .mlir models`, `use one of: ${BACKENDS.join(', ')}`);
    }
    const threads = flags.threads === undefined ? availableParallelism() : Number(flags.threads);
    if (!(Number.isInteger(threads) && threads > 0)) {
      throw new UserError('E_BAD_FLAG', `--threads ${flags.threads} is not a positive integer`, 'e.g. --threads 2');
    }
    const bmodel = ext === '.bmodel';
    const module = bmodel ? await loadBmodelProgram(flags.model) : await loadMlirModule(flags.model);
    const session = await createSession(module, { backend: flags.backend as (typeof BACKENDS)[number], threads });
    try {
      const { outputs, tensors } = await session.run(bmodel ? modelInputs(module, inputs) : inputs, { capture: flags.dump_all_tensors ? 'all' : undefined });
      if (flags.stats) process.stdout.write(formatStats(session.stats()));
      const all = flags.dump_all_tensors ? new Map([...tensors, ...outputs]) : outputs;
      return bmodel ? dequantizeAll(module, all) : all;
    } finally {
      await session.dispose();
    }
  }
  if (ext === '.onnx') {
    const ort = await loadOrt();
    if (!ort) throw new UserError('E_NO_ORT', 'running .onnx models needs onnxruntime-node', 'npm i onnxruntime-node');
    return runOrtAllTensors(ort, flags.model, inputs, { all: Boolean(flags.dump_all_tensors) });
  }
  throw new UserError('E_UNSUPPORTED_MODEL', `model_runner cannot run ${flags.model}`, 'use a .mlir, .bmodel or .onnx model');
}

function formatStats(s: SessionStats): string {
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
  const lines = [
    `peak activation memory: ${mib(s.peakActivationBytes)} (planned ${mib(s.plannedPeakBytes)})`,
    `weights: ${mib(s.weightBytes)}`,
    `ops run: ${s.steps}, ${s.ms.toFixed(1)} ms`,
  ];
  const byType = [...s.byOpType].sort((a, b) => b[1].ms - a[1].ms);
  for (const [type, t] of byType) lines.push(`  ${type.padEnd(20)} ${t.ms.toFixed(2).padStart(9)} ms  x${t.count}`);
  return `${lines.join('\n')}\n`;
}
