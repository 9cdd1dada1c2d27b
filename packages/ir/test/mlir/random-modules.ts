// fast-check generators of random modules: every attribute kind, every type kind (quant too),
// single and fused locations, multi-result ops, calls, declarations.
import fc from 'fast-check';
import {
  Func,
  Module,
  Op,
  roundToFloat,
  type Attr,
  type ElementType,
  type FloatType,
  type IntegerType,
  type Location,
  type TensorType,
  type Type,
  type Value,
} from '@tpu-quant/ir';

const CHARS = ['a', 'b', 'z', '_', '.', '$', '-', ' ', '"', '\\', '\n', '\t', '0', '9', 'é', '中', '😀', '>', '#', '%'];
/** Any text, including quotes, escapes and non-ASCII (no lone surrogates: files are UTF-8). */
export const text = fc.string({ unit: fc.constantFrom(...CHARS), maxLength: 6 });
const ident = fc.stringMatching(/^[a-z_][a-z0-9_]{0,5}$/);

const floatType: fc.Arbitrary<FloatType> = fc.constantFrom('f64', 'f32', 'f16', 'bf16').map((name) => ({ kind: 'float' as const, name }));
const intType: fc.Arbitrary<IntegerType> = fc.record({
  kind: fc.constant('int' as const),
  width: fc.constantFrom(1, 8, 16, 32, 64),
  signedness: fc.constantFrom('signless' as const, 'signed' as const, 'unsigned' as const),
});

/** A double, NaN/inf/-0 included, rounded to the float type. */
const floatValue = (t: FloatType): fc.Arbitrary<number> => fc.double().map((v) => roundToFloat(v, t.name));

const quantType: fc.Arbitrary<ElementType> = fc.oneof(
  fc.record({ expressed: floatType, min: fc.double(), max: fc.double() }).map((r) => ({ kind: 'quant.calibrated' as const, ...r })),
  fc
    .record({
      storage: fc.record({ kind: fc.constant('int' as const), width: fc.integer({ min: 2, max: 16 }), signedness: fc.constantFrom('signless' as const, 'unsigned' as const) }),
      expressed: floatType,
      range: fc.option(fc.tuple(fc.integer({ min: -200, max: 0 }), fc.integer({ min: 0, max: 200 })), { nil: undefined }),
      axis: fc.option(fc.nat(3), { nil: undefined }),
      params: fc.array(fc.tuple(fc.double(), fc.integer({ min: -128, max: 255 })), { minLength: 1, maxLength: 4 }),
    })
    .map(({ storage, expressed, range, axis, params }) => {
      const ps = axis === undefined ? params.slice(0, 1) : params;
      return {
        kind: 'quant.uniform' as const,
        storage,
        expressed,
        scales: ps.map((p) => p[0]),
        zeroPoints: ps.map((p) => p[1]),
        ...(range ? { storageMin: range[0], storageMax: range[1] } : {}),
        ...(axis !== undefined ? { axis } : {}),
      };
    }),
);

const elementType: fc.Arbitrary<ElementType> = fc.oneof(floatType, intType, fc.constant({ kind: 'index' as const }), quantType);

export const tensorType: fc.Arbitrary<TensorType> = fc
  .record({
    shape: fc.array(fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constant(-1)), { maxLength: 4 }),
    element: elementType,
    encoding: fc.option(fc.nat().map((n) => `${n} : i64`), { nil: undefined }),
  })
  .map(({ shape, element, encoding }) => (encoding === undefined ? { kind: 'tensor' as const, shape, element } : { kind: 'tensor' as const, shape, element, encoding }));

const scalarType: fc.Arbitrary<Type> = fc.oneof(floatType, intType, fc.constant({ kind: 'index' as const }), fc.constant({ kind: 'none' as const }));
export const valueType: fc.Arbitrary<Type> = fc.oneof({ weight: 4, arbitrary: tensorType }, { weight: 1, arbitrary: scalarType });
const anyType: fc.Arbitrary<Type> = fc.oneof(
  valueType,
  fc.record({ kind: fc.constant('function' as const), inputs: fc.array(valueType, { maxLength: 2 }), results: fc.array(valueType, { maxLength: 2 }) }),
);

function intValue(t: IntegerType): fc.Arbitrary<number | bigint> {
  const w = BigInt(t.width);
  // i1 (signless) holds a bit: 0 or 1.
  const lo = t.signedness === 'unsigned' || (t.width === 1 && t.signedness === 'signless') ? 0n : -(1n << (w - 1n));
  const hi = t.signedness === 'unsigned' || (t.width === 1 && t.signedness === 'signless') ? (1n << w) - 1n : (1n << (w - 1n)) - 1n;
  return fc.bigInt({ min: lo, max: hi }).map((b) => (Number.isSafeInteger(Number(b)) ? Number(b) : b));
}

const intAttr: fc.Arbitrary<Attr> = intType.chain((type) => intValue(type).map((value) => ({ kind: 'int' as const, value, type })));
const floatAttr: fc.Arbitrary<Attr> = floatType.chain((type) => floatValue(type).map((value) => ({ kind: 'float' as const, value, type })));

// Dense arrays hold JS numbers, so integer elements stay within 32 bits here.
const denseArray: fc.Arbitrary<Attr> = fc.oneof(intType.map((t) => ({ ...t, width: Math.min(t.width, 32) })), floatType).chain((element) => {
  const v: fc.Arbitrary<number> = element.kind === 'float' ? floatValue(element) : intValue(element).map(Number);
  return fc.array(v, { maxLength: 4 }).map((value) => ({ kind: 'dense-array' as const, element, value }));
});

// Small shapes, one past MLIR's hex threshold (101 elements), and an empty one.
const denseShape: fc.Arbitrary<number[]> = fc.oneof(
  { weight: 5, arbitrary: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constant<number[]>([101]) },
  { weight: 1, arbitrary: fc.constant<number[]>([0]) },
);

const dense: fc.Arbitrary<Attr> = fc
  .record({
    shape: denseShape,
    element: fc.oneof(floatType, intType.map((t) => (t.width === 64 ? { ...t, width: 32 } : t))),
    splat: fc.boolean(),
  })
  .chain(({ shape, element, splat }) => {
    const count = shape.reduce((a, b) => a * b, 1);
    const one: fc.Arbitrary<number | boolean> =
      element.kind === 'float' ? floatValue(element) : element.width === 1 && element.signedness === 'signless' ? fc.boolean() : intValue(element).map(Number);
    const asSplat = splat && count > 0;
    return fc
      .array(one, { minLength: asSplat ? 1 : count, maxLength: asSplat ? 1 : count })
      .map((value) => ({ kind: 'dense' as const, type: { kind: 'tensor' as const, shape, element }, value, splat: asSplat }));
  });

const DIALECT_BODIES = ['rq_mode MultiplierShift', 'run_mode TPU_STATIC', 'foo', 'a.b_c', 'lg<[1, 2], "x>y">', 'x<y<z>> w', '', ' spaced', 'f(a) -> b'];
const dialectAttr: fc.Arbitrary<Attr> = fc.record({ dialect: ident, body: fc.constantFrom(...DIALECT_BODIES) }).map((r) => ({ kind: 'dialect' as const, ...r }));

export const attr: fc.Arbitrary<Attr> = fc.letrec<{ attr: Attr }>((tie) => ({
  attr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    intAttr,
    floatAttr,
    fc.boolean().map((value) => ({ kind: 'bool' as const, value })),
    text.map((value) => ({ kind: 'string' as const, value })),
    fc.array(tie('attr'), { maxLength: 3 }).map((value) => ({ kind: 'array' as const, value })),
    denseArray,
    dense,
    fc.constant({ kind: 'unit' as const }),
    text.map((value) => ({ kind: 'symbol' as const, value })),
    anyType.map((value) => ({ kind: 'type' as const, value })),
    dialectAttr,
  ),
})).attr;

const attrs = fc.dictionary(fc.oneof(ident, text), attr, { maxKeys: 4 });

const leafLoc: fc.Arbitrary<Location> = fc.oneof(
  fc.constant({ kind: 'unknown' as const }),
  text.map((name) => ({ kind: 'name' as const, name })),
  fc.record({ file: text, line: fc.nat(1000), col: fc.nat(200) }).map((r) => ({ kind: 'file' as const, ...r })),
);
const namedLoc: fc.Arbitrary<Location> = fc.record({ name: text, child: leafLoc.filter((l) => l.kind !== 'unknown') }).map((r) => ({ kind: 'name' as const, ...r }));
export const loc: fc.Arbitrary<Location> = fc.oneof(
  { weight: 4, arbitrary: leafLoc },
  { weight: 1, arbitrary: namedLoc },
  { weight: 2, arbitrary: fc.array(fc.oneof(leafLoc, namedLoc), { maxLength: 3 }).map((locs) => ({ kind: 'fused' as const, locs })) },
);

interface OpPlan {
  type: string;
  operandPicks: number[];
  results: Type[];
  attrs: Record<string, Attr>;
  loc: Location;
  callee?: string;
}

const opPlan: fc.Arbitrary<OpPlan> = fc.record({
  type: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('top.Conv', 'tpu.Cast', 'top.Split', 'top.None', 'func.call') }, { weight: 1, arbitrary: text }),
  operandPicks: fc.array(fc.nat(), { maxLength: 3 }),
  results: fc.array(valueType, { maxLength: 3 }),
  attrs,
  loc,
  callee: fc.option(text, { nil: undefined }),
});

interface FuncPlan {
  name: string;
  visibility: 'private' | 'public' | undefined;
  args: { type: Type; loc: Location }[];
  attrs: Record<string, Attr>;
  ops: OpPlan[];
  returnPicks: number[];
  returnLoc: Location;
  loc: Location;
  declaration: boolean;
}

const funcPlan: fc.Arbitrary<FuncPlan> = fc.record({
  name: text,
  visibility: fc.constantFrom(undefined, 'private' as const, 'public' as const),
  args: fc.array(fc.record({ type: valueType, loc }), { maxLength: 3 }),
  attrs,
  ops: fc.array(opPlan, { maxLength: 6 }),
  returnPicks: fc.array(fc.nat(), { maxLength: 2 }),
  returnLoc: loc,
  loc,
  declaration: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
});

export const randomModule: fc.Arbitrary<Module> = fc
  .record({
    name: fc.option(text, { nil: undefined }),
    attrs,
    loc,
    funcs: fc.uniqueArray(funcPlan, { maxLength: 3, selector: (f) => f.name }),
  })
  .map(({ name, attrs: mattrs, loc: mloc, funcs }) => {
    const m = new Module(name, mattrs);
    m.loc = mloc;
    for (const plan of funcs) {
      const f = m.addFunc(new Func(plan.name, { attrs: plan.attrs }));
      f.loc = plan.loc;
      f.visibility = plan.visibility;
      // A declaration prints argument types only, so its arguments carry no location.
      for (const a of plan.args) f.addArgument(a.type, plan.declaration ? { kind: 'unknown' } : a.loc);
      if (plan.declaration) continue;
      const values: Value[] = [...f.args];
      for (const p of plan.ops) {
        const operands = values.length === 0 ? [] : p.operandPicks.map((i) => values[i % values.length]!);
        const opAttrs = { ...p.attrs };
        if (p.type === 'func.call' && p.callee !== undefined) opAttrs.callee = { kind: 'symbol', value: p.callee };
        const op = f.append(new Op(p.type, { operands, resultTypes: p.results, attrs: opAttrs, loc: p.loc }));
        values.push(...op.results);
      }
      const outs = values.length === 0 ? [] : plan.returnPicks.map((i) => values[i % values.length]!);
      f.append(new Op('func.return', { operands: outs, loc: plan.returnLoc }));
      f.resultTypes = outs.map((v) => v.type);
    }
    return m;
  });
