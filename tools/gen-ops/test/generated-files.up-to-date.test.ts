// CI's guard: the committed generated files are what the tables generate now.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readTargets, runGenOps } from '../src/run.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..', '..');

describe('generated files', () => {
  it('are up to date with the op tables (else run `pnpm gen-ops`)', async () => {
    const targets = await readTargets(resolve(here, '..', 'targets.json'));
    const { changed, files } = await runGenOps({ root, targets, check: true });
    expect(files).toContain('packages/ir/src/dialects/top/generated/builders.ts');
    expect(changed, `stale: ${changed.join(', ')} — run \`pnpm gen-ops\``).toEqual([]);
  });
});
