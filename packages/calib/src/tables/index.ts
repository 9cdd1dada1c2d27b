// TPU-MLIR's table files: the calibration table and the quantize table (qtable).
export { formatCaliTable, parseCaliTable, type CaliTable, type CaliTableHeader } from './cali-table.js';
export { formatQtable, parseQtable, QTABLE_MODES } from './qtable.js';
export { pyFormatFixed, pyDatetime } from './py-format.js';
