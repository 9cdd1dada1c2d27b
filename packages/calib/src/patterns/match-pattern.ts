// Pattern qtables: TPU-MLIR's MatchPattern (python/calibration/transformer_pattern.py, calibration
// spec §10.2), the last step of run_calibration. It recognises a model's building block from its
// op types and lists the ops that should stay float for that kind of model; with --part_quantize
// and no block found, every op outside the quantized types is listed instead. run_calibration
// writes the list as a `qtable` beside the calibration table for model_deploy --quantize_table.
//
// As upstream does, and kept so: the block test is a substring test on the concatenated type
// names (no separators), the first block in SUB_BLOCKS order wins, and a listed op may appear
// twice (e.g. an Add both before a LayerNorm and in an EVA block). Where upstream would index past
// the end of a consumer list (a Softmax or GELU without consumers) we skip the rule instead.
import type { Module } from '@tpu-quant/ir';
import { PART_QUANTIZE_MODES, SUB_BLOCKS, YOLO_POST_BLOCKS } from './blocks.js';
import { parserView, type ParserView } from './parser-view.js';

export interface PatternMatch {
  /** The block found (a SUB_BLOCKS key), or undefined. */
  readonly block?: string;
  /** How often the block occurs (Python's non-overlapping str.count). */
  readonly count: number;
  /** The YOLO post-processing tail found (a YOLO_POST_BLOCKS key) and its number of windows. */
  readonly post?: { readonly name: string; readonly count: number };
  /** Op names to keep float, in upstream's order (duplicates kept). */
  readonly floatOps: readonly string[];
  /** The list comes from --part_quantize (header line `# part_quantize `). */
  readonly partQuantize: boolean;
}

export interface PatternOptions {
  /**
   * --part_quantize: undefined when not given; [] or extra type names (with or without `top.`)
   * quantize Conv, MatMul and those; `N_mode` / `H_mode` pick upstream's presets; `custom_mode`
   * takes `customOperators`.
   */
  readonly partQuantize?: readonly string[];
  readonly customOperators?: readonly string[];
}

/** undefined when nothing matched and --part_quantize is off: no qtable is written then. */
export function matchPattern(module: Module, o: PatternOptions = {}): PatternMatch | undefined {
  const view = parserView(module);
  const names = view.ops.map((op) => op.name ?? '');
  const types = view.ops.map((op) => op.type);
  const joined = types.join('');
  for (const [block, sub] of SUB_BLOCKS) {
    const s = sub.join('');
    if (!joined.includes(s)) continue;
    const count = joined.split(s).length - 1;
    if (block === 'yolo_block' || block === 'yolo_block_12') return { block, count, ...yoloTail(view, names, types), partQuantize: false };
    return { block, count, floatOps: blockFloatOps(view, block, count), partQuantize: false };
  }
  if (o.partQuantize === undefined) return undefined;
  const keep = new Set(quantizedTypes(o.partQuantize, o.customOperators ?? []));
  return { count: 0, floatOps: view.ops.filter((op) => !keep.has(op.type)).map((op) => op.name ?? ''), partQuantize: true };
}

function quantizedTypes(part: readonly string[], custom: readonly string[]): string[] {
  const preset = part.length === 1 ? PART_QUANTIZE_MODES.get(part[0]!) : undefined;
  if (preset) return [...preset];
  const withTop = (t: string) => (t.startsWith('top.') ? t : `top.${t}`);
  if (part.length === 1 && part[0] === 'custom_mode') return custom.map(withTop);
  return ['top.Conv', 'top.MatMul', ...part.map(withTop)];
}

/**
 * YOLO models: the first post-processing tail whose op-type multiset equals a window of the op
 * list; every such window's ops, then everything reachable from the window's last op.
 */
function yoloTail(view: ParserView, names: readonly string[], types: readonly string[]): { floatOps: string[]; post?: { name: string; count: number } } {
  const list: string[] = [];
  const listed = new Set<string>();
  const add = (n: string) => {
    if (listed.has(n)) return;
    listed.add(n);
    list.push(n);
  };
  for (const [name, tail] of YOLO_POST_BLOCKS) {
    const windows = multisetWindows(types, tail);
    if (windows.length === 0) continue;
    for (const start of windows) {
      // the window itself goes in as is (upstream's extend), duplicates and all
      for (const n of names.slice(start, start + tail.length)) {
        list.push(n);
        listed.add(n);
      }
      const seen = new Set<string>();
      const walk = (op: string): void => {
        if (seen.has(op)) return;
        add(op);
        seen.add(op);
        for (const next of view.nextOf(op)) if (next) walk(next);
      };
      for (const next of view.nextOf(names[start + tail.length - 1]!)) if (next) walk(next);
    }
    return { floatOps: splitFused(list), post: { name, count: windows.length } };
  }
  return { floatOps: splitFused(list) };
}

function multisetWindows(types: readonly string[], tail: readonly string[]): number[] {
  const want = countOf(tail);
  const out: number[] = [];
  for (let i = 0; i + tail.length <= types.length; i++) {
    const got = countOf(types.slice(i, i + tail.length));
    if (got.size === want.size && [...want].every(([t, c]) => got.get(t) === c)) out.push(i);
  }
  return out;
}

function countOf(types: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of types) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

/** A multi-result op's `fused["a", "b"]` name becomes its tensor names, as upstream writes them. */
function splitFused(list: readonly string[]): string[] {
  return list.flatMap((n) => {
    const m = n.startsWith('fused[') ? /fused\["(.*?)"\]/.exec(n) : null;
    return m ? m[1]!.split(', ').map((p) => p.replace(/^"+|"+$/g, '')) : [n];
  });
}

/** The float ops of a transformer block (spec §10.2's per-block rules), in op order. */
function blockFloatOps(view: ParserView, block: string, count: number): string[] {
  const out: string[] = [];
  const typeOf = (n: string | undefined) => (n === undefined ? undefined : view.typeOf(n));
  const firstNext = (n: string) => view.nextOf(n)[0];
  for (const op of view.ops) {
    const name = op.name ?? '';
    const t = op.type;
    if (t === 'top.LayerNorm') {
      const pre = view.preOf(name);
      if (pre.length === 1 && typeOf(pre[0]) === 'top.Add') out.push(pre[0]!);
    }
    if (t === 'top.SiLU' || t === 'top.GELU') out.push(name);
    if (block === 'vit_block') {
      // few blocks: the MatMul after Softmax; many: the MatMul after GELU
      const from = count < 20 ? 'top.Softmax' : 'top.GELU';
      const next = t === from ? firstNext(name) : undefined;
      if (next !== undefined && typeOf(next) === 'top.MatMul') out.push(next);
    }
    if (block === 'eva_block') {
      if (t === 'top.Add') out.push(name);
      if (t === 'top.SiLU') {
        const next = view.nextOf(name);
        if (next.length === 1 && typeOf(next[0]) === 'top.Mul') {
          const after = firstNext(next[0]!);
          if (after !== undefined && typeOf(after) === 'top.MatMul') out.push(after);
        }
      }
    }
    if (block === '_eva_block' && t === 'top.Add') out.push(name);
    if (block === 'swin_block' || block === '_swin_block' || block === 'swin_1_block') {
      if (t === 'top.LayerNorm') {
        const pre = view.preOf(name);
        if (pre.length === 1 && typeOf(pre[0]) === 'top.Reshape') {
          const pp = view.preOf(pre[0]!);
          if (pp.length === 1 && typeOf(pp[0]) === 'top.Permute') out.push(pp[0]!);
        }
      }
      if (t === 'top.Add') out.push(name);
    }
    if (block === '_swin_1_block' && (t === 'top.Add' || t === 'top.Depth2Space')) out.push(name);
    if ((block === 'bert_block' || block === 'bert_block_1') && t === 'top.GELU') {
      const next = firstNext(name);
      if (next !== undefined && typeOf(next) === 'top.MatMul') out.push(next);
    }
    if (block === 'detr_block' || block === 'detr_rc_50_block') {
      if (t === 'top.Conv' || t === 'top.Scale' || t === 'top.Reshape') continue;
      if (t === 'top.MatMul') {
        const pre = view.preOf(name);
        const preType = typeOf(pre[0]);
        if (pre.length === 1 && (preType === 'top.LayerNorm' || preType === 'top.Reshape')) continue;
      }
      out.push(name);
    }
  }
  return out;
}
