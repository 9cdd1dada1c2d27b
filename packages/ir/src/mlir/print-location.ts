// Locations in MLIR's spelling, and the identity MLIR gives them (locations are uniqued, so two
// equal locations share one alias).
import type { Location } from '../core/location.js';
import { quoteString } from './string-escape.js';

/** Text inside `loc(...)`; `aliasOf` names nested locations that print as `#alias`. */
export function printLocationBody(loc: Location, aliasOf?: (nested: Location) => string | undefined): string {
  const nested = (l: Location): string => {
    const a = aliasOf?.(l);
    return a !== undefined ? `#${a}` : printLocationBody(l, aliasOf);
  };
  switch (loc.kind) {
    case 'unknown':
      return 'unknown';
    case 'file':
      return `${quoteString(loc.file)}:${loc.line}:${loc.col}`;
    case 'name':
      // MLIR omits an unknown child.
      return loc.child && loc.child.kind !== 'unknown' ? `${quoteString(loc.name)}(${nested(loc.child)})` : quoteString(loc.name);
    case 'fused':
      return `fused[${loc.locs.map(nested).join(', ')}]`;
  }
}

/** `loc("conv_out")`, `loc(fused["a", "b"])`: a location written out in full. */
export function printLocation(loc: Location): string {
  return `loc(${printLocationBody(loc)})`;
}

/** Locations whose aliases a location's text refers to (MLIR gives every location an alias). */
export function nestedLocations(loc: Location): readonly Location[] {
  if (loc.kind === 'fused') return loc.locs;
  if (loc.kind === 'name' && loc.child && loc.child.kind !== 'unknown') return [loc.child];
  return NONE;
}

const NONE: readonly Location[] = [];

/** A string that is equal for equal locations (memoised per object). */
export class LocationKeys {
  private readonly memo = new Map<Location, string>();

  key(loc: Location): string {
    let k = this.memo.get(loc);
    if (k !== undefined) return k;
    switch (loc.kind) {
      case 'unknown':
        k = 'u';
        break;
      case 'file':
        k = `l${JSON.stringify(loc.file)}:${loc.line}:${loc.col}`;
        break;
      case 'name':
        k = `n${JSON.stringify(loc.name)}${loc.child ? `(${this.key(loc.child)})` : ''}`;
        break;
      case 'fused':
        k = `f[${loc.locs.map((l) => this.key(l)).join(',')}]`;
        break;
    }
    this.memo.set(loc, k);
    return k;
  }
}
