// When the wasm kernels cannot be loaded, a session (wasm being the default) runs on js and says
// so on stderr, once; it does not fail and does not fall back silently.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSession } from '../src/index.js';
import { arr } from './helpers/build.js';
import { tinyConv } from './helpers/models.js';

vi.mock('../src/kernels/wasm/index.js', () => {
  throw new Error('kernels.wasm: instantiation failed (test)');
});

afterEach(() => vi.restoreAllMocks());

describe('wasm backend that fails to load', () => {
  it('falls back to js with one warning on stderr', async () => {
    const writes: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (writes.push(String(c)), true));
    const s = await createSession(await tinyConv());
    expect(s.backend).toBe('js');
    expect(s.kernelReport().counts).toEqual({ js: 10 });
    const { outputs } = await s.run({ input: arr([1, 3, 32, 32]) });
    expect(outputs.size).toBe(1);
    const again = await createSession(await tinyConv(), { backend: 'wasm' });
    expect(again.backend).toBe('js');
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^warning: the wasm backend failed to load \(.+\); running on the js backend\n$/);
  });
});
