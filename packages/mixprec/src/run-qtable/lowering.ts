// The models run_qtable runs (calibration spec §7 step 2, §13): the top module lowered through ir's
// target registry (`getTarget(chip).lower`, attached by the chip package) — the float reference at
// the chip's FLOAT_MAP type, the INT8 model from the calibration table, and mixed models from a
// qtable. Each lowering starts from a fresh parse of the top module's text, so no lowering can
// leave anything behind in another (the lowering rewrites the module in place).
import { findTarget, getTarget, parseMlir, printMlir, UserError, type Module, type NdArray, type Target } from '@tpu-quant/ir';

/** A calibration table as the lowering takes it (rows parsed by @tpu-quant/calib's parseCaliTable). */
export interface Calibration {
  readonly rows: readonly { readonly name: string; readonly threshold: number; readonly min: number; readonly max: number }[];
  readonly asymOps?: readonly string[];
}

/** The top module as text + weights: a source of fresh copies to lower. */
export class TopSource {
  private readonly text: string;
  private readonly weights: ReadonlyMap<string, NdArray>;

  constructor(readonly top: Module) {
    this.text = printMlir(top);
    this.weights = top.weights;
  }

  fresh(): Module {
    const m = parseMlir(this.text, top(this.top));
    m.weights = new Map(this.weights);
    return m;
  }
}

function top(m: Module): string {
  return m.name ?? 'top module';
}

/** The chip's registered target; E_PROCESSOR when unknown, E_NOT_AVAILABLE when nothing lowers to it. */
export function checkLowering(chip: string): Target {
  const target = findTarget(chip.toLowerCase());
  if (!target) throw new UserError('E_PROCESSOR', `unknown processor ${chip}`, 'give a processor name such as bm1684x (tpu-quant processors lists them)');
  if (!target.lower) throw new UserError('E_NOT_AVAILABLE', `run_qtable on ${target.name} is not available yet: nothing lowers to ${target.name}`, 'the BM1684X family and BM1684 have a lowering');
  return target;
}


export interface LowerRequest {
  readonly mode: string;
  readonly calibration?: Calibration;
  readonly quantizeTable?: ReadonlyMap<string, string>;
}

/** A fresh copy of the top module lowered as asked (import-calibration-table first when given). */
export function lowerFresh(source: TopSource, chip: string, req: LowerRequest): Module {
  const target = checkLowering(chip);
  const m = source.fresh();
  target.lower!(m, {
    mode: req.mode,
    ...(req.calibration ? { calibration: req.calibration.rows, asymOps: req.calibration.asymOps ?? [] } : {}),
    ...(req.quantizeTable ? { quantizeTable: req.quantizeTable } : {}),
  });
  target.kernels?.(m); // the tpu ops' integer kernels, registered with the runtime
  return m;
}
