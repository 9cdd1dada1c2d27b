export {
  fpForwardQtable, formatFpForwardQtable, parseFpForwardBlock,
  type FpForwardBlock, type FpForwardOptions, type FpForwardResult,
} from './fp-forward.js';
