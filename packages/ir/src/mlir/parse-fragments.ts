// Parsing a single type, attribute or location from text (for tools and tests that handle MLIR
// fragments, e.g. a type string from a calibration report).
import type { Attr } from '../core/attributes.js';
import type { Location } from '../core/location.js';
import type { Type } from '../core/types.js';
import { MlirSourceLayout } from './layout.js';
import { parseAttr } from './parse-attrs.js';
import { LocResolver, parseLocSpec } from './parse-locations.js';
import { ParserBase } from './parser-base.js';
import { parseType } from './parse-types.js';

function whole<T>(text: string, file: string, read: (p: ParserBase) => T): T {
  const p = new ParserBase(text, file, new MlirSourceLayout());
  const v = read(p);
  if (!p.is('eof')) throw p.unexpected('end of input');
  return v;
}

/** `tensor<1x3xf32>`, `!quant.uniform<i8:f32, 0.5>`, ... */
export function parseMlirType(text: string, file = '<type>'): Type {
  return whole(text, file, (p) => parseType(p));
}

/** `3 : i64`, `[1, 2]`, `#tpu<rq_mode MultiplierShift>`, ... */
export function parseMlirAttr(text: string, file = '<attribute>'): Attr {
  return whole(text, file, (p) => parseAttr(p));
}

/** `loc("name")`, `loc(fused["a", "b"])` (no alias references). */
export function parseMlirLocation(text: string, file = '<location>'): Location {
  return whole(text, file, (p) => new LocResolver(p).resolve(parseLocSpec(p, [])));
}
