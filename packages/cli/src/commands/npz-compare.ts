// `npz_tool compare target.npz ref.npz`: TPU-MLIR's npz_compare.py on top of @tpu-quant/ir's
// compareNpz. A failed comparison is a result, not an error: the report is printed and the
// process exits 255 (upstream's sys.exit(-1)).
import type { Command } from 'commander';
import { atomicWriteFile, compareNpz, compareReportCsv, formatCompareReport, loadNpz } from '@tpu-quant/ir';
import { parseInteger, parseNameList, parseTolerance } from '../flags.js';

export const EXIT_COMPARE_FAILED = 255;

interface CompareFlags {
  tolerance: string;
  excepts?: string;
  verbose: number;
  per_axis_compare: string;
  int8_tensor_close: string;
  save?: string;
}

export function registerNpzCompare(npz: Command): void {
  npz
    .command('compare')
    .description('compare two npz files tensor by tensor (TPU-MLIR npz_compare); exit 255 when they differ')
    .argument('<target>', 'target .npz (the one being checked)')
    .argument('<reference>', '.npz to compare against; its names and order are used')
    .option('--tolerance <cos,euc>', 'minimum cosine and euclidean similarity', '0.99,0.99')
    .option('--excepts <names>', 'comma-separated tensor names to skip')
    .option('-v, --verbose', 'more detail; repeat for more (-vv top-10 values, -vvv all differences)', (_v: string, prev: number) => prev + 1, 0)
    .option('--per_axis_compare <axis>', 'judge each slice along this axis on its own', '-1')
    .option('--int8_tensor_close <0|1>', 'int8 tensors must be equal (1) or only similar (0)', '1')
    .option('--save <file.csv>', 'write the results as CSV')
    .option('--stats_int8_tensor', 'accepted for TPU-MLIR compatibility (int8 stats are always printed)')
    .option('--full-array', 'accepted for TPU-MLIR compatibility')
    .action(async (targetFile: string, refFile: string, flags: CompareFlags) => {
      const tol = parseTolerance(flags.tolerance);
      const perAxis = parseInteger(flags.per_axis_compare, 'per_axis_compare');
      const int8Close = parseInteger(flags.int8_tensor_close, 'int8_tensor_close');
      const [target, ref] = await Promise.all([loadNpz(targetFile), loadNpz(refFile)]);
      const report = compareNpz(target, ref, {
        cosineTol: tol[0]!,
        euclidTol: tol[1]!,
        excepts: flags.excepts === undefined ? [] : parseNameList(flags.excepts),
        perAxis,
        int8TensorClose: int8Close !== 0,
        verbose: flags.verbose,
        targetFile,
        refFile,
      });
      if (flags.save !== undefined) await atomicWriteFile(flags.save, compareReportCsv(report));
      await write(formatCompareReport(report, flags.verbose, { savedTo: flags.save }));
      // A failed comparison is a result: main() returns the exit code a command sets.
      if (!report.passed) process.exitCode = EXIT_COMPARE_FAILED;
    });
}

/** Resolves once stdout has taken the text, so exiting right after loses nothing. */
function write(text: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
}
