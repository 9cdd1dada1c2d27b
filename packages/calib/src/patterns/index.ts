export { findShapeOps } from './shape-ops.js';
export { matchPattern, type PatternMatch, type PatternOptions } from './match-pattern.js';
export { PART_QUANTIZE_MODES, SUB_BLOCKS, YOLO_POST_BLOCKS } from './blocks.js';
export { chooseAsymOps, type AsymOps } from './asym-ops.js';
export { parserView, type ParsedOp, type ParserView } from './parser-view.js';
