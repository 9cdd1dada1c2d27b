#!/usr/bin/env node
// Enforces the allowed imports between packages (docs/ARCHITECTURE.md, ../shared/DESIGN.md):
// only the arrows below, only through a package's public entry (no deep imports), and no
// relative path that climbs out of its own package.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** package -> packages it may import. */
export const ALLOWED = {
  ir: [],
  runtime: ['ir'],
  'frontend-onnx': ['ir'],
  'frontend-torch': ['ir'],
  calib: ['runtime', 'ir'],
  mixprec: ['calib', 'runtime', 'ir'],
  'chip-bm168x': ['runtime', 'ir'],
  'chip-cv18xx': ['runtime', 'ir'],
  bmodel: ['ir'],
  cli: ['*'],
};

function* tsFiles(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'dist') continue;
    if (statSync(p).isDirectory()) yield* tsFiles(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

const importRe = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];
const pkgsDir = join(root, 'packages');
for (const pkg of readdirSync(pkgsDir)) {
  const src = join(pkgsDir, pkg, 'src');
  if (!existsSync(src)) continue;
  const allowed = ALLOWED[pkg];
  if (!allowed) problems.push(`packages/${pkg}: not in the allowed-imports table (tools/scripts/check-imports.mjs)`);
  for (const file of tsFiles(src)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(importRe)) {
      const spec = m[1] ?? m[2];
      const where = relative(root, file);
      if (spec.startsWith('@tpu-quant/')) {
        const [, name, ...rest] = spec.split('/');
        if (rest.length > 0) problems.push(`${where}: deep import "${spec}" (import from "@tpu-quant/${name}" only)`);
        if (name !== pkg && allowed && !allowed.includes('*') && !allowed.includes(name)) {
          problems.push(`${where}: ${pkg} may not import @tpu-quant/${name} (allowed: ${allowed.join(', ') || 'nothing'})`);
        }
      } else if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (!target.startsWith(join(pkgsDir, pkg) + '/')) problems.push(`${where}: relative import "${spec}" leaves the package`);
      }
    }
  }
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(`${problems.length} import rule violation(s)`);
  process.exit(1);
}
console.log('imports: all packages follow the allowed-imports table');
