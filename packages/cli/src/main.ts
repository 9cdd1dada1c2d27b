// The `tpu-quant` program: one command per TPU-MLIR tool (with TPU-MLIR's flag spelling) plus
// our own (`opt`, `processors`). Each TPU-MLIR name is also published as its own bin.
import { Command, CommanderError } from 'commander';
import { registerClassify } from './commands/classify.js';
import { registerDetect } from './commands/detect.js';
import { registerFpForward } from './commands/fp-forward.js';
import { registerNpzTool } from './commands/npz-tool.js';
import { registerModelDeploy } from './commands/model-deploy.js';
import { registerModelRunner } from './commands/model-runner.js';
import { registerModelTransform } from './commands/model-transform.js';
import { registerModelTool } from './commands/model-tool.js';
import { registerOpt } from './commands/opt.js';
import { registerProcessors } from './commands/processors.js';
import { registerRunCalibration } from './commands/run-calibration.js';
import { registerRunQtable } from './commands/run-qtable.js';
import { registerRunSensitiveLayer } from './commands/run-sensitive-layer.js';
import { EXIT_USER_ERROR, reportError } from './report.js';
import { VERSION } from './version.js';


export function buildProgram(): Command {
  const program = new Command('tpu-quant')
    .description('Quantize ONNX/PyTorch models for Sophgo TPUs, the TPU-MLIR way, in TypeScript')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerModelTransform(program);
  registerModelRunner(program);
  registerRunCalibration(program);
  registerRunQtable(program);
  registerRunSensitiveLayer(program);
  registerModelDeploy(program);
  registerOpt(program);
  registerNpzTool(program);
  registerModelTool(program);
  registerFpForward(program);
  registerProcessors(program);
  registerClassify(program);
  registerDetect(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    process.exitCode = undefined;
    await program.parseAsync([...argv], { from: 'user' });
    // A command whose run completed may still report a result as its exit code
    // (npz_tool compare exits 255 when the comparison fails, as TPU-MLIR's does).
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its message (usage errors, --help, --version).
      return err.exitCode === 0 ? 0 : EXIT_USER_ERROR;
    }
    return reportError(err);
  }
}
