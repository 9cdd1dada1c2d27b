// Names of generated declarations, from a table key such as `Conv`, `MatMul`, `RMSNorm`.

const RESERVED = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum',
  'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null',
  'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield',
  'let', 'static', 'implements', 'interface', 'package', 'private', 'protected', 'public', 'await',
]);

/**
 * The builder function name: a leading capital run is lowered as an acronym (`GELU` → `gelu`,
 * `RMSNorm` → `rmsNorm`, `SiLU` → `siLU`, `MatMul` → `matMul`); reserved words get a `_`.
 */
export function builderName(key: string): string {
  const run = /^[A-Z0-9]+/.exec(key)?.[0] ?? '';
  let name: string;
  if (run.length === key.length) name = key.toLowerCase();
  else if (run.length <= 1) name = key.charAt(0).toLowerCase() + key.slice(1);
  else name = run.slice(0, -1).toLowerCase() + key.slice(run.length - 1);
  return RESERVED.has(name) ? `${name}_` : name;
}

/** Type and reader names of one op. */
export function declNames(key: string): { attrs: string; values: string; operands: string; reader: string; builder: string } {
  const builder = builderName(key);
  return {
    attrs: `${key}Attrs`,
    values: `${key}AttrValues`,
    operands: `${key}Operands`,
    reader: `${builder.replace(/_$/, '')}Attrs`,
    builder,
  };
}
