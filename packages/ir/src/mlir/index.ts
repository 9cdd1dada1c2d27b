// MLIR text of TPU-MLIR's files: parse to the IR and print back, byte for byte for files TPU-MLIR
// wrote, and as MLIR would print them for modules built in code.
export { parseMlir } from './parser.js';
export { printMlir, type PrintOptions } from './printer.js';
export { printType } from './print-types.js';
export { printAttr, printAttrDict, printNamedAttr } from './print-attrs.js';
export { printLocation } from './print-location.js';
export { formatMlirFloat, apFloatToString } from './float-format.js';
export { parseFloatLiteral, roundToFloat, floatToBits, bitsToFloat, f16BitsToNumber, bf16BitsToNumber, f16BitsOf, bf16BitsOf } from './float-bits.js';
export { parseMlirType, parseMlirAttr, parseMlirLocation } from './parse-fragments.js';
export { MlirSourceLayout, sourceLayoutOf } from './layout.js';
