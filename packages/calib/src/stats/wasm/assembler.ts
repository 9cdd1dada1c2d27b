// A small WebAssembly encoder: enough to write the statistics kernels (kernels.ts) in TypeScript
// as folded instructions, the way the text format nests them, and get a module's bytes without a
// toolchain or a build step. Each instruction is a function of its operands' code that returns
// the operands' code followed by its own opcode, so `i32.add(local.get('a'), i32.const(1))`
// reads as `(i32.add (local.get $a) (i32.const 1))` does in WAT.

export type Code = readonly number[];
export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

const VALTYPE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const bytesOf = (a: Float32Array | Float64Array): number[] => [...new Uint8Array(a.buffer)];
const flat = (parts: readonly Code[]): number[] => parts.flatMap((p) => p);

/** An instruction with fixed opcode bytes: operands first, then the opcode. */
const op = (...bytes: number[]) => (...operands: Code[]): Code => [...flat(operands), ...bytes];
/** A SIMD instruction (0xfd prefix). */
const simd = (code: number, ...imm: number[]) => op(0xfd, ...uleb(code), ...imm);
/** A load or store: memarg = alignment (log2) and offset. */
const mem = (bytes: number[], align: number) => (offset = 0) => (...operands: Code[]): Code =>
  [...flat(operands), ...bytes, ...uleb(align), ...uleb(offset)];

export const i32 = {
  const: (n: number): Code => [0x41, ...sleb(n | 0)],
  load: mem([0x28], 2),
  store: mem([0x36], 2),
  eqz: op(0x45), eq: op(0x46), ne: op(0x47), lt_s: op(0x48), lt_u: op(0x49), gt_s: op(0x4a), gt_u: op(0x4b),
  le_u: op(0x4d), ge_s: op(0x4e), ge_u: op(0x4f),
  popcnt: op(0x69), add: op(0x6a), sub: op(0x6b), mul: op(0x6c), and: op(0x71), or: op(0x72),
  shl: op(0x74), shr_u: op(0x76),
  trunc_sat_f32_s: op(0xfc, 0x00),
  reinterpret_f32: op(0xbc),
};

export const f32 = {
  const: (x: number): Code => [0x43, ...bytesOf(new Float32Array([x]))],
  load: mem([0x2a], 2),
  store: mem([0x38], 2),
  eq: op(0x5b), lt: op(0x5d), gt: op(0x5e),
  abs: op(0x8b), floor: op(0x8e), add: op(0x92), div: op(0x95),
};

export const f64 = {
  const: (x: number): Code => [0x44, ...bytesOf(new Float64Array([x]))],
  store: mem([0x39], 3),
  abs: op(0x99), add: op(0xa0), sub: op(0xa1), mul: op(0xa2),
  promote_f32: op(0xbb),
};

export const v128 = {
  const: (...i32s: number[]): Code => [0xfd, ...uleb(0x0c), ...bytesOf32(i32s)],
  load: mem([0xfd, 0x00], 4),
  store: mem([0xfd, 0x0b], 4),
  and: simd(0x4e), or: simd(0x50), bitselect: simd(0x52), any_true: simd(0x53),
};

function bytesOf32(i32s: number[]): number[] {
  return [...new Uint8Array(new Int32Array(i32s).buffer)];
}

export const i8x16 = {
  /** Lanes of the result taken from the 32 bytes of the two operands. */
  shuffle: (lanes: readonly number[]) => simd(0x0d, ...lanes),
  swizzle: simd(0x0e),
};

export const i32x4 = {
  splat: simd(0x11),
  extract_lane: (lane: number) => simd(0x1b, lane),
  eq: simd(0x37), ne: simd(0x38), gt_s: simd(0x3b), lt_u: simd(0x3a),
  all_true: simd(0xa3), bitmask: simd(0xa4), shl: simd(0xab), add: simd(0xae), sub: simd(0xb1),
  trunc_sat_f32x4_s: simd(0xf8),
};

export const f32x4 = {
  splat: simd(0x13),
  extract_lane: (lane: number) => simd(0x1f, lane),
  eq: simd(0x41), lt: simd(0x43), gt: simd(0x44),
  floor: simd(0x68),
  add: simd(0xe4), div: simd(0xe7), pmin: simd(0xea), pmax: simd(0xeb),
};

export const f64x2 = {
  splat: simd(0x14),
  extract_lane: (lane: number) => simd(0x21, lane),
  promote_low_f32x4: simd(0x5f),
  abs: simd(0xec), add: simd(0xf0), sub: simd(0xf1), mul: simd(0xf2),
};

/** Control: blocks and loops take their body; branches count enclosing labels outward from 0. */
export const block = (...body: Code[]): Code => [0x02, 0x40, ...flat(body), 0x0b];
export const loop = (...body: Code[]): Code => [0x03, 0x40, ...flat(body), 0x0b];
export const if_ = (cond: Code, ...then: Code[]): Code => [...cond, 0x04, 0x40, ...flat(then), 0x0b];
export const br = (depth: number): Code => [0x0c, ...uleb(depth)];
export const br_if = (depth: number, cond: Code): Code => [...cond, 0x0d, ...uleb(depth)];
export const select = op(0x1b);

export interface FuncDef {
  readonly name: string;
  readonly params: Readonly<Record<string, ValType>>;
  readonly results?: readonly ValType[];
  readonly locals?: Readonly<Record<string, ValType>>;
  /** The body, given local.get / local.set / local.tee by name. */
  readonly body: (l: Locals) => Code[];
}

export interface Locals {
  get(name: string): Code;
  set(name: string, value: Code): Code;
  tee(name: string, value: Code): Code;
}

/** A module with one exported memory ("memory", `pages` initial 64 KiB pages) and the functions, exported by name. */
export function assemble(funcs: readonly FuncDef[], pages = 1): Uint8Array {
  const section = (id: number, items: number[][]) => {
    const body = [...uleb(items.length), ...flat(items)];
    return [id, ...uleb(body.length), ...body];
  };
  const vec = (xs: number[]) => [...uleb(xs.length), ...xs];
  const name = (s: string) => vec([...new TextEncoder().encode(s)]);

  const types = funcs.map((f) => [0x60, ...vec(Object.values(f.params).map((t) => VALTYPE[t])), ...vec((f.results ?? []).map((t) => VALTYPE[t]))]);
  const codes = funcs.map((f) => {
    const index = new Map<string, number>();
    for (const n of [...Object.keys(f.params), ...Object.keys(f.locals ?? {})]) {
      if (index.has(n)) throw new Error(`${f.name}: local ${n} declared twice`);
      index.set(n, index.size);
    }
    const idx = (n: string) => {
      const i = index.get(n);
      if (i === undefined) throw new Error(`${f.name}: no local ${n}`);
      return uleb(i);
    };
    const l: Locals = {
      get: (n) => [0x20, ...idx(n)],
      set: (n, v) => [...v, 0x21, ...idx(n)],
      tee: (n, v) => [...v, 0x22, ...idx(n)],
    };
    const locals = Object.values(f.locals ?? {}).map((t) => [1, VALTYPE[t]]);
    const body = [...uleb(locals.length), ...flat(locals), ...flat(f.body(l)), 0x0b];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(3, funcs.map((_, i) => uleb(i))),
    ...section(5, [[0x00, ...uleb(pages)]]),
    ...section(7, [[...name('memory'), 0x02, 0x00], ...funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])]),
    ...section(10, codes),
  ]);
}
