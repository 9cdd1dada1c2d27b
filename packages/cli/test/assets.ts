// Where the shared real models and images are (../shared/assets beside the repo, or
// TPUQ_ASSETS). Tests that need them skip with a message when they are absent.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const ASSETS = resolve(process.env.TPUQ_ASSETS ?? join(repoRoot, '..', 'shared', 'assets'));
export const HAVE_ASSETS = existsSync(join(ASSETS, 'models'));
if (!HAVE_ASSETS) console.warn(`shared assets not found at ${ASSETS} (set TPUQ_ASSETS): tests that need them are skipped`);

export function asset(...parts: string[]): string {
  return join(ASSETS, ...parts);
}
