// The per-sample passes of scan.ts and histogram.ts as WebAssembly SIMD kernels, 3-4x faster than
// V8's code for the same loops (four lanes at a time, float32 arithmetic without conversions).
// scan.ts and addHistogram stay the readable reference; stats.wasm-matches-js.test.ts holds the
// two to the same results (bit-equal where numpy's arithmetic is replicated; sums, which are
// float64 in both, may differ in their last bits because the lanes add in another order).
//
// Layout of the module's memory: [0, 256) the compaction table, [256, 320) results, then the
// loaded tensor x, a scratch of |x| (OCTAV), the two tail candidate lists and the bin counts.
import {
  assemble, block, br, br_if, f32, f32x4, f64, f64x2, i32, i32x4, i8x16, loop, select, v128, type Code, type FuncDef, type Locals,
} from './assembler.js';

const ABS = v128.const(0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff);
const ZERO = v128.const(0, 0, 0, 0);
/** Lanes 2, 3 moved to 0, 1 (for f64x2.promote_low_f32x4). */
const high = (v: Code) => i8x16.shuffle([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7])(v, v);
const ptrInc = ($: Locals, name: string, bytes: number) => $.set(name, i32.add($.get(name), i32.const(bytes)));
/** Address of element `idx` (an i32) of the f32/i32 array at `base`. */
const at = (base: Code, idx: Code) => i32.add(base, i32.shl(idx, i32.const(2)));

/** Loops `p` over whole vectors up to `end`, then one element at a time up to `last`. */
function vectorsThenScalars($: Locals, vec: Code[], scalar: Code[]): Code[] {
  return [
    block(loop(br_if(1, i32.ge_u($.get('p'), $.get('end'))), ...vec, ptrInc($, 'p', 16), br(0))),
    block(loop(br_if(1, i32.ge_u($.get('p'), $.get('last'))), ...scalar, ptrInc($, 'p', 4), br(0))),
  ];
}
const bounds = ($: Locals): Code[] => [
  $.set('end', at($.get('p'), i32.and($.get('n'), i32.const(-4)))),
  $.set('last', at($.get('p'), $.get('n'))),
];
const LOOP_LOCALS = { end: 'i32', last: 'i32' } as const;

/**
 * Tail candidates (locals tx, nh, nl, H, L; params hc, lc, hiOut, loOut): the element at p + offset
 * goes to hiOut when > hc, to loOut when < lc. Branch-free: it is written at the end of both lists,
 * and a list advances when it belongs there.
 */
const TAIL_PARAMS = { hc: 'f32', lc: 'f32', hiOut: 'i32', loOut: 'i32' } as const;
const TAIL_LOCALS = { H: 'v128', L: 'v128', tx: 'f32', nh: 'i32', nl: 'i32' } as const;
const offer = ($: Locals, offset: number): Code[] => [
  $.set('tx', f32.load(offset)($.get('p'))),
  f32.store()(at($.get('hiOut'), $.get('nh')), $.get('tx')),
  $.set('nh', i32.add($.get('nh'), f32.gt($.get('tx'), $.get('hc')))),
  f32.store()(at($.get('loOut'), $.get('nl')), $.get('tx')),
  $.set('nl', i32.add($.get('nl'), f32.lt($.get('tx'), $.get('lc')))),
];
/** The vector at p (in v): offer its four elements when any is beyond hc or lc (one compare otherwise). */
const offerVector = ($: Locals, v: Code): Code => block(
  br_if(0, i32.eqz(v128.any_true(v128.or(f32x4.gt(v, $.get('H')), f32x4.lt(v, $.get('L')))))),
  ...offer($, 0), ...offer($, 4), ...offer($, 8), ...offer($, 12));
const tailSetup = ($: Locals): Code[] => [$.set('H', f32x4.splat($.get('hc'))), $.set('L', f32x4.splat($.get('lc')))];

/**
 * min, max, Σx, Σ|x|, #(x != 0) and the tail candidates beyond hc / lc (see tails) -> out: f32 min,
 * f32 max, f64 sum, f64 sumAbs, i32 nonZero, i32 count hi, i32 count lo.
 */
const moments: FuncDef = {
  name: 'moments',
  params: { p: 'i32', n: 'i32', out: 'i32', ...TAIL_PARAMS },
  locals: {
    ...LOOP_LOCALS, ...TAIL_LOCALS, v: 'v128', a: 'v128', mn: 'v128', mx: 'v128', s0: 'v128', s1: 'v128', t0: 'v128', t1: 'v128', nz: 'v128',
    x: 'f32', min: 'f32', max: 'f32', sum: 'f64', sumAbs: 'f64', nonZero: 'i32',
  },
  body: ($) => {
    const lanes = (v: string, f: (a: Code, b: Code) => Code, get: (l: number) => (v: Code) => Code) =>
      f(f(get(0)($.get(v)), get(1)($.get(v))), f(get(2)($.get(v)), get(3)($.get(v))));
    const pick = (cmp: (a: Code, b: Code) => Code) => (a: Code, b: Code) => select(a, b, cmp(a, b));
    return [
      $.set('mn', f32x4.splat(f32.const(Infinity))),
      $.set('mx', f32x4.splat(f32.const(-Infinity))),
      ...tailSetup($),
      ...bounds($),
      block(loop(
        br_if(1, i32.ge_u($.get('p'), $.get('end'))),
        $.set('v', v128.load()($.get('p'))),
        offerVector($, $.get('v')),
        // pmin/pmax: (v < mn ? v : mn), so NaN is skipped as in the js loop
        $.set('mn', f32x4.pmin($.get('mn'), $.get('v'))),
        $.set('mx', f32x4.pmax($.get('mx'), $.get('v'))),
        $.set('s0', f64x2.add($.get('s0'), f64x2.promote_low_f32x4($.get('v')))),
        $.set('s1', f64x2.add($.get('s1'), f64x2.promote_low_f32x4(high($.get('v'))))),
        $.set('a', v128.and($.get('v'), ABS)),
        $.set('t0', f64x2.add($.get('t0'), f64x2.promote_low_f32x4($.get('a')))),
        $.set('t1', f64x2.add($.get('t1'), f64x2.promote_low_f32x4(high($.get('a'))))),
        $.set('nz', i32x4.sub($.get('nz'), i32x4.ne($.get('a'), ZERO))),
        ptrInc($, 'p', 16),
        br(0))),
      $.set('min', lanes('mn', pick(f32.lt), f32x4.extract_lane)),
      $.set('max', lanes('mx', pick(f32.gt), f32x4.extract_lane)),
      $.set('s0', f64x2.add($.get('s0'), $.get('s1'))),
      $.set('sum', f64.add(f64x2.extract_lane(0)($.get('s0')), f64x2.extract_lane(1)($.get('s0')))),
      $.set('t0', f64x2.add($.get('t0'), $.get('t1'))),
      $.set('sumAbs', f64.add(f64x2.extract_lane(0)($.get('t0')), f64x2.extract_lane(1)($.get('t0')))),
      $.set('nonZero', lanes('nz', i32.add, i32x4.extract_lane)),
      block(loop(
        br_if(1, i32.ge_u($.get('p'), $.get('last'))),
        $.set('x', f32.load()($.get('p'))),
        $.set('min', select($.get('x'), $.get('min'), f32.lt($.get('x'), $.get('min')))),
        $.set('max', select($.get('x'), $.get('max'), f32.gt($.get('x'), $.get('max')))),
        $.set('sum', f64.add($.get('sum'), f64.promote_f32($.get('x')))),
        $.set('sumAbs', f64.add($.get('sumAbs'), f64.promote_f32(f32.abs($.get('x'))))),
        $.set('nonZero', i32.add($.get('nonZero'), i32.ne(i32.and(i32.reinterpret_f32($.get('x')), i32.const(0x7fffffff)), i32.const(0)))),
        ...offer($, 0),
        ptrInc($, 'p', 4),
        br(0))),
      i32.store(28)($.get('out'), $.get('nh')),
      i32.store(32)($.get('out'), $.get('nl')),
      f32.store(0)($.get('out'), $.get('min')),
      f32.store(4)($.get('out'), $.get('max')),
      f64.store(8)($.get('out'), $.get('sum')),
      f64.store(16)($.get('out'), $.get('sumAbs')),
      i32.store(24)($.get('out'), $.get('nonZero')),
    ];
  },
};

/** Tail candidates alone (see offer; `hiOut` and `loOut` must hold n values) -> out: i32 count hi, i32 count lo. */
const tails: FuncDef = {
  name: 'tails',
  params: { p: 'i32', n: 'i32', out: 'i32', ...TAIL_PARAMS },
  locals: { ...LOOP_LOCALS, ...TAIL_LOCALS },
  body: ($) => [
    ...tailSetup($),
    ...bounds($),
    ...vectorsThenScalars($, [offerVector($, v128.load()($.get('p')))], offer($, 0)),
    i32.store(0)($.get('out'), $.get('nh')),
    i32.store(4)($.get('out'), $.get('nl')),
  ],
};

/**
 * Adds the bins of |x| to the i32 `counts` (bins + 1 slots; the last collects what falls
 * outside): bin = floor(|x| / w + 0.5) in float32, numpy's arithmetic exactly. Zeros land in bin 0.
 */
const histogram: FuncDef = {
  name: 'histogram',
  params: { p: 'i32', n: 'i32', w: 'f32', counts: 'i32', bins: 'i32' },
  locals: { ...LOOP_LOCALS, W: 'v128', B: 'v128', q: 'v128', b: 'v128', qs: 'f32', bs: 'i32', addr: 'i32' },
  body: ($) => {
    const bump = (bin: Code): Code[] => [
      $.set('addr', at($.get('counts'), bin)),
      i32.store()($.get('addr'), i32.add(i32.load()($.get('addr')), i32.const(1))),
    ];
    return [
      $.set('W', f32x4.splat($.get('w'))),
      $.set('B', i32x4.splat($.get('bins'))),
      ...bounds($),
      ...vectorsThenScalars($, [
        $.set('q', f32x4.div(v128.and(v128.load()($.get('p')), ABS), $.get('W'))),
        // q + 0.5 >= 0, where truncation is floor
        $.set('b', i32x4.trunc_sat_f32x4_s(f32x4.add($.get('q'), f32x4.splat(f32.const(0.5))))),
        // past the last bin, or NaN (which truncates to 0): the overflow slot
        $.set('b', v128.bitselect($.get('b'), $.get('B'), v128.and(i32x4.lt_u($.get('b'), $.get('B')), f32x4.eq($.get('q'), $.get('q'))))),
        ...bump(i32x4.extract_lane(0)($.get('b'))),
        ...bump(i32x4.extract_lane(1)($.get('b'))),
        ...bump(i32x4.extract_lane(2)($.get('b'))),
        ...bump(i32x4.extract_lane(3)($.get('b'))),
      ], [
        $.set('qs', f32.div(f32.abs(f32.load()($.get('p'))), $.get('w'))),
        $.set('bs', i32.trunc_sat_f32_s(f32.floor(f32.add($.get('qs'), f32.const(0.5))))),
        $.set('bs', select($.get('bs'), $.get('bins'), i32.and(i32.lt_u($.get('bs'), $.get('bins')), f32.eq($.get('qs'), $.get('qs'))))),
        ...bump($.get('bs')),
      ]),
    ];
  },
};

/**
 * Stream compaction of one vector: the lanes of `a` whose bits exceed S (non-negative floats order
 * as their bits) are stored packed at dst[count] (16 bytes written; the table at 0 holds the
 * byte shuffle for each 4-bit lane mask), and count advances by how many there were.
 */
function compact($: Locals, a: Code, dst: string): Code[] {
  return [
    $.set('m', i32x4.gt_s(a, $.get('S'))),
    $.set('bm', i32x4.bitmask($.get('m'))),
    v128.store()(at($.get(dst), $.get('count')), i8x16.swizzle(a, v128.load()(i32.shl($.get('bm'), i32.const(4))))),
    $.set('count', i32.add($.get('count'), i32.popcnt($.get('bm')))),
  ];
}

/**
 * The central sums around `mean` and OCTAV's first step at s (its float32 bits `sBits`) ->
 * out: f64 Σ|x-m|, f64 Σ(x-m)², f64 Σ(x-m)⁴, f64 Σ{|x| > s}, i32 #{|x| > s}; the |x| > s packed
 * into `scr` (n + 4 slots).
 */
const central: FuncDef = {
  name: 'central',
  params: { p: 'i32', n: 'i32', mean: 'f64', sBits: 'i32', scr: 'i32', out: 'i32' },
  locals: {
    ...LOOP_LOCALS, v: 'v128', a: 'v128', m: 'v128', bm: 'i32', count: 'i32', S: 'v128', M: 'v128',
    d0: 'v128', d1: 'v128', e0: 'v128', e1: 'v128', ad0: 'v128', ad1: 'v128', q0: 'v128', q1: 'v128', r0: 'v128', r1: 'v128',
    ab0: 'v128', ab1: 'v128', x: 'f32', ax: 'f32', d: 'f64', e: 'f64', absDev: 'f64', m2: 'f64', m4: 'f64', above: 'f64', c: 'i32',
  },
  body: ($) => {
    const acc = (name: string, v: Code) => $.set(name, f64x2.add($.get(name), v));
    const sum2 = (a: string, b: string) => f64.add(f64.add(f64x2.extract_lane(0)($.get(a)), f64x2.extract_lane(1)($.get(a))),
      f64.add(f64x2.extract_lane(0)($.get(b)), f64x2.extract_lane(1)($.get(b))));
    return [
      $.set('S', i32x4.splat($.get('sBits'))),
      $.set('M', f64x2.splat($.get('mean'))),
      ...bounds($),
      block(loop(
        br_if(1, i32.ge_u($.get('p'), $.get('end'))),
        $.set('v', v128.load()($.get('p'))),
        $.set('a', v128.and($.get('v'), ABS)),
        ...compact($, $.get('a'), 'scr'),
        $.set('m', v128.and($.get('a'), $.get('m'))),
        acc('ab0', f64x2.promote_low_f32x4($.get('m'))),
        acc('ab1', f64x2.promote_low_f32x4(high($.get('m')))),
        $.set('d0', f64x2.sub(f64x2.promote_low_f32x4($.get('v')), $.get('M'))),
        $.set('d1', f64x2.sub(f64x2.promote_low_f32x4(high($.get('v'))), $.get('M'))),
        acc('ad0', f64x2.abs($.get('d0'))),
        acc('ad1', f64x2.abs($.get('d1'))),
        $.set('e0', f64x2.mul($.get('d0'), $.get('d0'))),
        $.set('e1', f64x2.mul($.get('d1'), $.get('d1'))),
        acc('q0', $.get('e0')),
        acc('q1', $.get('e1')),
        acc('r0', f64x2.mul($.get('e0'), $.get('e0'))),
        acc('r1', f64x2.mul($.get('e1'), $.get('e1'))),
        ptrInc($, 'p', 16),
        br(0))),
      $.set('absDev', sum2('ad0', 'ad1')),
      $.set('m2', sum2('q0', 'q1')),
      $.set('m4', sum2('r0', 'r1')),
      $.set('above', sum2('ab0', 'ab1')),
      block(loop(
        br_if(1, i32.ge_u($.get('p'), $.get('last'))),
        $.set('x', f32.load()($.get('p'))),
        $.set('ax', f32.abs($.get('x'))),
        f32.store()(at($.get('scr'), $.get('count')), $.get('ax')),
        $.set('c', i32.gt_s(i32.reinterpret_f32($.get('ax')), $.get('sBits'))),
        $.set('count', i32.add($.get('count'), $.get('c'))),
        $.set('above', f64.add($.get('above'), select(f64.promote_f32($.get('ax')), f64.const(0), $.get('c')))),
        $.set('d', f64.sub(f64.promote_f32($.get('x')), $.get('mean'))),
        $.set('absDev', f64.add($.get('absDev'), f64.abs($.get('d')))),
        $.set('e', f64.mul($.get('d'), $.get('d'))),
        $.set('m2', f64.add($.get('m2'), $.get('e'))),
        $.set('m4', f64.add($.get('m4'), f64.mul($.get('e'), $.get('e')))),
        ptrInc($, 'p', 4),
        br(0))),
      f64.store(0)($.get('out'), $.get('absDev')),
      f64.store(8)($.get('out'), $.get('m2')),
      f64.store(16)($.get('out'), $.get('m4')),
      f64.store(24)($.get('out'), $.get('above')),
      i32.store(32)($.get('out'), $.get('count')),
    ];
  },
};

/**
 * An OCTAV step: the |v| > s (bits `sBits`) of src[0..n) packed into `dst` (which may be src:
 * the write position never passes the read position) -> out: f64 their sum, i32 their count.
 */
const filter: FuncDef = {
  name: 'filter',
  params: { p: 'i32', n: 'i32', sBits: 'i32', dst: 'i32', out: 'i32' },
  locals: { ...LOOP_LOCALS, a: 'v128', m: 'v128', bm: 'i32', count: 'i32', S: 'v128', s0: 'v128', s1: 'v128', ax: 'f32', c: 'i32', sum: 'f64' },
  body: ($) => [
    $.set('S', i32x4.splat($.get('sBits'))),
    ...bounds($),
    block(loop(
      br_if(1, i32.ge_u($.get('p'), $.get('end'))),
      $.set('a', v128.and(v128.load()($.get('p')), ABS)),
      ...compact($, $.get('a'), 'dst'),
      $.set('m', v128.and($.get('a'), $.get('m'))),
      $.set('s0', f64x2.add($.get('s0'), f64x2.promote_low_f32x4($.get('m')))),
      $.set('s1', f64x2.add($.get('s1'), f64x2.promote_low_f32x4(high($.get('m'))))),
      ptrInc($, 'p', 16),
      br(0))),
    $.set('s0', f64x2.add($.get('s0'), $.get('s1'))),
    $.set('sum', f64.add(f64x2.extract_lane(0)($.get('s0')), f64x2.extract_lane(1)($.get('s0')))),
    block(loop(
      br_if(1, i32.ge_u($.get('p'), $.get('last'))),
      $.set('ax', f32.abs(f32.load()($.get('p')))),
      f32.store()(at($.get('dst'), $.get('count')), $.get('ax')),
      $.set('c', i32.gt_s(i32.reinterpret_f32($.get('ax')), $.get('sBits'))),
      $.set('count', i32.add($.get('count'), $.get('c'))),
      $.set('sum', f64.add($.get('sum'), select(f64.promote_f32($.get('ax')), f64.const(0), $.get('c')))),
      ptrInc($, 'p', 4),
      br(0))),
    f64.store(0)($.get('out'), $.get('sum')),
    i32.store(8)($.get('out'), $.get('count')),
  ],
};

export const KERNELS: readonly FuncDef[] = [moments, tails, histogram, central, filter];

/** The shuffle that packs the lanes set in each 4-bit mask to the front (16 x 16 bytes). */
export function compactionTable(): Uint8Array {
  const t = new Uint8Array(256).fill(0x80);
  for (let mask = 0; mask < 16; mask++) {
    let o = 0;
    for (let lane = 0; lane < 4; lane++) {
      if (!(mask & (1 << lane))) continue;
      for (let b = 0; b < 4; b++) t[mask * 16 + o * 4 + b] = lane * 4 + b;
      o++;
    }
  }
  return t;
}

export function kernelModule(): Uint8Array {
  return assemble(KERNELS);
}
