// The progress display: a redrawn bar on a terminal, plain lines every 10 % otherwise.
import { describe, expect, test } from 'vitest';
import { progressBar } from '../src/progress.js';

function fake(isTTY: boolean) {
  const writes: string[] = [];
  let t = 0;
  const bar = progressBar({ write: (s: string) => writes.push(s), isTTY, columns: 120 }, () => t);
  return { bar, writes, advance: (ms: number) => (t += ms) };
}

describe('progress', () => {
  test('plain lines: about ten, with counts, rate and ETA, and a final line', () => {
    const { bar, writes, advance } = fake(false);
    bar.start('statistics', 100, 'samples');
    for (let i = 0; i < 100; i++) {
      advance(50);
      bar.tick();
    }
    bar.end();
    expect(writes.length).toBe(10); // 9 intermediate (10..90 %) + the final line
    expect(writes[0]).toBe('statistics: 10/100 samples (20.0/s, ETA 4.5s, 0.5s elapsed)\n');
    expect(writes.at(-1)).toBe('statistics: 100/100 samples (20.0/s, 5.0s elapsed)\n');
    expect(writes.every((w) => !w.includes('\r'))).toBe(true);
  });

  test('terminal: redrawn in place, throttled, ends with a newline', () => {
    const { bar, writes, advance } = fake(true);
    bar.start('auto-tune', 4, 'ops');
    bar.tick();
    advance(200);
    bar.tick();
    bar.tick(2);
    bar.end();
    expect(writes.every((w) => w.startsWith('\r'))).toBe(true);
    expect(writes.at(-1)).toMatch(/^\r\[#{24}\] auto-tune: 4\/4 ops .*\n$/);
    expect(writes.length).toBeLessThan(6);
  });

  test('end without start prints nothing', () => {
    const { bar, writes } = fake(false);
    bar.end();
    bar.tick();
    expect(writes).toEqual([]);
  });
});
