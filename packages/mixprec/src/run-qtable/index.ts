export { runQtable, type RunQtableOptions, type RunQtableResult, type RunQtableOutcome } from './search.js';
export { cos01, weightedCos } from './similarity.js';
export { parseCompareLayers, checkCompareLayers, ancestorsOf, type CompareLayers } from './compare-layers.js';
export { formatLossTable, formatMixQtable, lossTableLines, type TableHeader } from './tables.js';
export { type Calibration } from './lowering.js';
export { packTensor, unpackTensor } from './tensor-store.js';
