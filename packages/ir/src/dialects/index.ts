// Dialects: the op-table DSL, the `top` table (registered on import), its generated builders and
// attribute readers (`top.conv(b, ...)`, `top.convAttrs(op)`), OpBuilder, and shape inference.
import { registerOpDefs } from '../core/op-def.js';
import { topOps } from './top/ops.js';

registerOpDefs(topOps.list);

export { topOps };
// The DSL's attribute constructors (i64, f64, ...) share names with core's types, so the DSL is
// one namespace: `const { op, tensor, i64 } = opDsl;` in a chip package's table.
export * as opDsl from './op-dsl.js';
export { defineDialect } from './op-dsl.js';
export type { AttrDecl, DerivedDefault, DialectTable, OpDecl, OperandDecl } from './op-dsl.js';
export { OpBuilder } from './op-builder.js';
export type { BuildOptions, MultiResultOptions, SingleResultOptions, ValueLike } from './op-builder.js';
export { buildAttrs, decodeAttr, encodeAttr, readAttrs } from './attr-codec.js';
export type { AttrInput } from './attr-codec.js';
export { broadcastShapes, ShapeContext, ShapeError, staticShape } from './shape-context.js';
export { checkOpAgainstDef, inferShapes, unknownAttrs } from '../core/op-def.js';
export * as top from './top/generated/index.js';
