// Capture and observers on a real model: every tensor seen once, in order, with the values a
// capture keeps; an observer-only run holds no more memory than a plain run.
import { describe, expect, it } from 'vitest';
import { createSession } from '../src/index.js';
import { random } from './helpers/build.js';
import { checksum, HAVE_MOBILENET, mobilenetV1, tinyConv } from './helpers/models.js';

async function checkModel(m: Awaited<ReturnType<typeof tinyConv>>, shape: number[]) {
  const s = await createSession(m);
  const feed = { [s.inputNames[0]!]: random(shape, 21) };
  await s.run(feed);
  const plainPeak = s.stats().peakActivationBytes;
  const seen = new Map<string, number>();
  await s.run(feed, { observer: (n, v) => seen.set(n, checksum(v)) });
  expect(s.stats().peakActivationBytes).toBe(plainPeak);
  const r = await s.run(feed, { capture: 'all' });
  expect(s.stats().peakActivationBytes).toBeGreaterThan(plainPeak);
  expect([...seen.keys()]).toEqual([...r.tensors.keys()]);
  for (const [n, v] of r.tensors) expect(checksum(v), n).toBe(seen.get(n));
  return r.tensors.size;
}

describe('capture and observers', () => {
  it('see every tensor of tiny_conv', async () => {
    expect(await checkModel(await tinyConv(), [1, 3, 32, 32])).toBe(10);
  });

  it.skipIf(!HAVE_MOBILENET)('see every tensor of MobileNetV1 (../shared/assets)', async () => {
    expect(await checkModel(await mobilenetV1(), [1, 3, 128, 128])).toBeGreaterThan(50);
  });
});
