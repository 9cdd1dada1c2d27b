import { defineConfig } from 'vitest/config';

// Tests run against package sources (the "@tpu-quant/source" export condition), so no build is
// needed before `pnpm test`.
const conditions = ['@tpu-quant/source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@tpu-quant/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'tools/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'threads',
  },
});
