// 2-D max / average pooling of NCHW planes, windows clipped to the input (scalar: pools are a
// small share of any model's time), and mean / sum over a contiguous inner block (global pools
// written as Reduce).
import { CAP, RELU } from './gemm';

export function pool2d(
  x: usize, planes: i32, ih: i32, iw: i32, oh: i32, ow: i32, kh: i32, kw: i32, sh: i32, sw: i32,
  pt: i32, pl: i32, pb: i32, pr: i32, isMax: bool, includePad: bool, padValue: f32, flags: i32, hi: f32, y: usize,
): void {
  for (let p = 0; p < planes; p++) {
    const xp = x + ((<usize>p * ih * iw) << 2);
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - pt;
      const fy = min(y0 + kh, ih + pb) - y0; // window rows inside input + declared pads
      const ya = max(y0, 0), yb = min(y0 + kh, ih);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - pl;
        const fx = min(x0 + kw, iw + pr) - x0;
        const xa = max(x0, 0), xb = min(x0 + kw, iw);
        let acc: f32 = isMax ? -Infinity : 0;
        for (let iy = ya; iy < yb; iy++) {
          const r = xp + ((<usize>iy * iw) << 2);
          for (let ix = xa; ix < xb; ix++) {
            const v = load<f32>(r + (<usize>ix << 2));
            if (isMax) acc = v > acc ? v : acc;
            else acc += v;
          }
        }
        if (!isMax) {
          const taps = max(yb - ya, 0) * max(xb - xa, 0);
          const full = fy * fx;
          acc = includePad ? (acc + padValue * <f32>(full - taps)) / <f32>full : acc / <f32>taps;
        }
        if (flags & RELU) acc = acc > 0 ? acc : 0;
        if (flags & CAP) acc = acc > hi ? hi : acc;
        store<f32>(y, acc);
        y += 4;
      }
    }
  }
}

/** y[i] = Σ (or mean of) x[i·len .. (i+1)·len), accumulated in f64 as the js kernel does. */
export function reduceRows(x: usize, rows: i32, len: i32, mean: bool, y: usize): void {
  for (let i = 0; i < rows; i++) {
    let acc: f64 = 0;
    const r = x + ((<usize>i * len) << 2);
    for (let j = 0; j < len; j++) acc += <f64>load<f32>(r + (<usize>j << 2));
    store<f32>(y + (<usize>i << 2), <f32>(mean ? acc / <f64>len : acc));
  }
}
