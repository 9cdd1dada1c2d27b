export * from './types.js';
export * from './dtype.js';
export * from './attributes.js';
export * from './location.js';
export * from './ir.js';
export * from './op-def.js';
export * from './errors.js';
export * from './equal.js';
