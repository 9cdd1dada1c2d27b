// What generated builder and attribute modules import at run time, in one place (chip packages'
// generated code takes the same names from '@tpu-quant/ir').
export { OpBuilder } from './op-builder.js';
export type { BuildOptions, MultiResultOptions, SingleResultOptions, ValueLike } from './op-builder.js';
export { readAttrs } from './attr-codec.js';
