// TPU-MLIR's npz comparison (deploy spec §4.5): metrics, per-tensor verdicts, npz reports.
export { cosineSimilarity, euclideanSimilarity, sqnr, pairwiseSumF32, type AlignedKind } from './metrics.js';
export { alignForCompare, alignedKind, type AlignedPair, type AlignOutcome } from './align.js';
export {
  compareTensors, compareAligned, type CompareOptions, type CompareVerdict, type CompareDetails, type TensorCompareResult,
} from './tensor-compare.js';
export {
  compareNpz, selectCompareNames, type NpzCompareOptions, type NpzCompareReport, type NamedCompareResult, type Int8Stats,
} from './npz-compare.js';
export { formatCompareReport, formatTensorResult, compareReportCsv, type FormatOptions } from './format.js';
export { pyFloatRepr, pyFixed } from './py-format.js';
