// `model_runner`: run a top .mlir (our reference executor) or an .onnx (onnxruntime-node) on an
// input npz and save the outputs, or every tensor with --dump_all_tensors (TPU-MLIR model_runner).
import { extname } from 'node:path';
import type { Command } from 'commander';
import { loadNpz, saveNpz, UserError, type NdArray } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { loadMlirModule } from '../model-files.js';
import { loadOrt, runOrtAllTensors } from '../ort-reference.js';

interface RunnerFlags {
  model: string;
  input: string;
  output: string;
  dump_all_tensors?: boolean;
}

export function registerModelRunner(program: Command): void {
  program
    .command('model_runner')
    .description('run a .mlir (or .onnx through onnxruntime-node) on an input npz (TPU-MLIR model_runner)')
    .requiredOption('--model <file>', 'model: .mlir or .onnx')
    .requiredOption('--input <npz>', 'inputs, keyed by input name')
    .option('--output <npz>', 'where to save the results', '_output.npz')
    .option('--dump_all_tensors', 'save every intermediate tensor, not just the outputs')
    .action(async (flags: RunnerFlags) => {
      const results = await runModel(flags);
      await saveNpz(flags.output, results);
      process.stdout.write(`Result saved to:${flags.output}\n`);
    });
}

export async function runModel(flags: RunnerFlags): Promise<Map<string, NdArray>> {
  const inputs = await loadNpz(flags.input);
  const ext = extname(flags.model).toLowerCase();
  if (ext === '.mlir') {
    const module = await loadMlirModule(flags.model);
    const session = await createSession(module);
    const { outputs, tensors } = await session.run(inputs, { capture: flags.dump_all_tensors ? 'all' : undefined });
    return flags.dump_all_tensors ? new Map([...tensors, ...outputs]) : outputs;
  }
  if (ext === '.onnx') {
    const ort = await loadOrt();
    if (!ort) throw new UserError('E_NO_ORT', 'running .onnx models needs onnxruntime-node', 'npm i onnxruntime-node');
    return runOrtAllTensors(ort, flags.model, inputs, { all: Boolean(flags.dump_all_tensors) });
  }
  throw new UserError('E_UNSUPPORTED_MODEL', `model_runner cannot run ${flags.model}`, 'use a .mlir or .onnx model');
}
