// Choosing the float layers from the per-layer losses (calibration spec §6.1 steps 7 and 9;
// TPU-MLIR's analysis_sensitive_layers / adjust_qtable), as pure functions over the loss list.
import { pyFloatRepr } from '@tpu-quant/ir';

export interface LayerLoss {
  readonly name: string;
  /** 1 − mean cos01 of the trial with this layer alone in INT8 (its best method). */
  readonly loss: number;
  /** Top op type, e.g. top.Conv. */
  readonly type: string;
}

/** What the pairing needs of the top graph. */
export interface TopGraph {
  typeOf(name: string): string | undefined;
  consumers(name: string): readonly string[];
  producers(name: string): readonly string[];
}

export interface Selection {
  readonly layers: string[];
  /** "the layer ... sensitive layer" lines (when asked), pair notes, and "set_fp_layer_list = [...]". */
  readonly lines: string[];
}

/**
 * Layers by loss, highest first (a stable sort, as Python's), taken while fewer than `max` are
 * taken; a taken top.Conv brings its top.Scale consumers, a taken top.Scale its top.Conv
 * producers, each counting one (so the count can end one or more above `max`, as upstream). A
 * layer already taken as a partner is passed over without using a rank number (upstream's
 * `continue` before `num += 1`).
 */
export function selectFloatLayers(losses: readonly LayerLoss[], max: number, graph: TopGraph, rankLines = true): Selection {
  const sorted = [...losses].sort((a, b) => b.loss - a.loss);
  const layers: string[] = [];
  const lines: string[] = [];
  let rank = 0;
  for (const l of sorted) {
    if (rankLines) lines.push(`the layer ${l.name} is ${rank} sensitive layer, loss is ${pyFloatRepr(l.loss)}, type is ${l.type}`);
    if (max > 0 && max > layers.length) {
      if (layers.includes(l.name)) continue;
      layers.push(l.name);
      const type = graph.typeOf(l.name);
      if (type === 'top.Conv') {
        for (const c of graph.consumers(l.name)) {
          if (graph.typeOf(c) !== 'top.Scale') continue;
          lines.push(`next scale op: ${c}`);
          layers.push(c);
        }
      } else if (type === 'top.Scale') {
        for (const p of graph.producers(l.name)) {
          if (graph.typeOf(p) !== 'top.Conv') continue;
          lines.push(`pre conv op: ${p}`);
          layers.push(p);
        }
      }
    }
    rank++;
  }
  lines.push(`set_fp_layer_list = ${pyList(layers)}`);
  return { layers, lines };
}

export function pyList(names: readonly string[]): string {
  return `[${names.map((n) => `'${n}'`).join(', ')}]`;
}

export interface Evaluation {
  readonly maxFloatLayers: number;
  readonly layers: string[];
  readonly cos: number;
}

export interface BudgetResult {
  /** The set the qtable gets, with its cos. */
  readonly chosen: Evaluation;
  /** Every evaluation in order (the first is the `max_float_layers` one). */
  readonly evaluations: Evaluation[];
  /** What upstream keeps: the last evaluated set (may be a failing binary-search midpoint). */
  readonly lastEvaluated: Evaluation;
}

/**
 * Step 9: below `expectedCos` with `q8 = Q // 8` above the budget, evaluate the top-q8 set; if it
 * passes (cos > expectedCos), binary search n in [max, q8] (mid = ⌊(lo+hi)/2⌋; pass → hi = mid−1,
 * else lo = mid+1). Upstream keeps the last evaluated set; we keep the smallest passing set when one
 * passed (deliberate, README), else the last evaluated. `evaluate` is asked once per distinct set.
 */
export async function budgetSearch(
  first: Evaluation,
  o: { readonly q8: number; readonly expectedCos: number; readonly select: (n: number) => string[]; readonly evaluate: (layers: string[]) => Promise<number>; readonly log?: (line: string) => void },
): Promise<BudgetResult> {
  const evaluations = [first];
  const seen = new Map<string, number>([[first.layers.join('\n'), first.cos]]);
  const run = async (n: number): Promise<Evaluation> => {
    const layers = o.select(n);
    const key = layers.join('\n');
    let cos = seen.get(key);
    if (cos === undefined) {
      cos = await o.evaluate(layers);
      seen.set(key, cos);
    }
    const e = { maxFloatLayers: n, layers, cos };
    evaluations.push(e);
    o.log?.(`float layer number: ${n}, mix model outputs_cos: ${pyFloatRepr(cos)}`);
    return e;
  };
  let last = first;
  if (first.cos < o.expectedCos && o.q8 > first.maxFloatLayers) {
    last = await run(o.q8);
    if (last.cos > o.expectedCos) {
      let lo = first.maxFloatLayers;
      let hi = o.q8;
      while (lo <= hi) {
        const mid = Math.floor((lo + hi) / 2);
        last = await run(mid);
        if (last.cos > o.expectedCos) hi = mid - 1;
        else lo = mid + 1;
      }
    }
  }
  const passing = evaluations.filter((e) => e.cos > o.expectedCos);
  const chosen = passing.length > 0 ? passing.reduce((a, b) => (b.layers.length < a.layers.length ? b : a)) : last;
  return { chosen, evaluations, lastEvaluated: last };
}
