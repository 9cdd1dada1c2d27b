// Loading a dialect table module and checking it has the shape the generator reads.
import { pathToFileURL } from 'node:url';
import type { DialectTable, OpDef } from '@tpu-quant/ir';

/** Imports `modulePath` (a .ts file; the generator runs under tsx or vitest) and returns its `exportName`. */
export async function loadTable(modulePath: string, exportName: string): Promise<DialectTable> {
  const mod = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
  const table = mod[exportName];
  if (!isDialectTable(table)) {
    throw new Error(`${modulePath} does not export a dialect table named '${exportName}' (use defineDialect)`);
  }
  return table;
}

function isDialectTable(v: unknown): v is DialectTable {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as Partial<DialectTable>;
  return typeof t.dialect === 'string' && typeof t.ops === 'object' && Array.isArray(t.list) && t.list.every(isOpDef);
}

function isOpDef(v: unknown): v is OpDef {
  const d = v as Partial<OpDef>;
  return typeof d.name === 'string' && Array.isArray(d.operands) && Array.isArray(d.results) && typeof d.attrs === 'object';
}

/** The table key of an op (`Conv` for `top.Conv`). */
export function opKey(table: DialectTable, def: OpDef): string {
  return def.name.slice(table.dialect.length + 1);
}
