// Progress for long work: a bar with counts, rate and ETA redrawn in place on a terminal;
// plain lines (every 10 %, and at the end) when stderr is a file or a pipe, so logs stay readable.
import type { ProgressSink } from '@tpu-quant/calib';

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function progressBar(out: ProgressStream = process.stderr, now: () => number = () => performance.now()): ProgressSink {
  let label = '';
  let unit = '';
  let total = 0;
  let done = 0;
  let t0 = 0;
  let lastDraw = 0;
  let nextPlain = 0;
  let active = false;

  const line = (): string => {
    const s = (now() - t0) / 1000;
    const rate = s > 0 ? done / s : 0;
    const eta = rate > 0 && done < total ? `, ETA ${fmtSeconds((total - done) / rate)}` : '';
    return `${label}: ${done}/${total} ${unit} (${rate.toFixed(rate < 10 ? 2 : 1)}/s${eta}, ${fmtSeconds(s)} elapsed)`;
  };
  const draw = (final: boolean): void => {
    if (out.isTTY) {
      const width = 24;
      const filled = total > 0 ? Math.round((width * done) / total) : width;
      const text = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${line()}`;
      out.write(`\r${text.slice(0, Math.max(20, (out.columns ?? 100) - 1))}\x1b[K${final ? '\n' : ''}`);
    } else {
      out.write(`${line()}\n`);
    }
  };
  return {
    start(l, n, u) {
      label = l;
      unit = u;
      total = n;
      done = 0;
      t0 = now();
      lastDraw = 0;
      nextPlain = Math.max(1, Math.ceil(total / 10));
      active = true;
      if (out.isTTY) draw(false);
    },
    tick(n = 1) {
      if (!active) return;
      done += n;
      if (out.isTTY) {
        if (now() - lastDraw > 100 || done >= total) {
          lastDraw = now();
          draw(false);
        }
      } else if (done >= nextPlain && done < total) {
        nextPlain += Math.max(1, Math.ceil(total / 10));
        draw(false);
      }
    },
    end() {
      if (!active) return;
      active = false;
      draw(true);
    },
  };
}

function fmtSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
}
