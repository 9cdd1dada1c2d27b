// The records passed between statistics collection (stats/), threshold methods (thresholds/) and
// the calibration driver. Collection gathers what every method needs in one pass, so a second
// method can be computed from cached statistics without running the model again.

/** Threshold methods, named as TPU-MLIR's `--cali_method` values without the `use_` prefix. */
export type CaliMethod = 'kl' | 'mse' | 'max' | 'percentile9999' | 'aciq_gauss' | 'aciq_laplace' | 'torch_observer';

export const CALI_METHODS: readonly CaliMethod[] = ['kl', 'mse', 'max', 'percentile9999', 'aciq_gauss', 'aciq_laplace', 'torch_observer'];

/** One tensor that gets a table row: an op output, in op-list order (spec §3.1). */
export interface TensorInfo {
  /** Tensor (op result) name, as the table writes it. */
  readonly name: string;
  /** Position of the producing op in the top op list (top.Input included): the percentile level. */
  readonly opIndex: number;
  /** Number of ops in the op list. */
  readonly opCount: number;
  /** e.g. 'top.Conv'. */
  readonly opType: string;
  /** True for top.Input outputs (MSE/ACIQ fall back to absmax for them). */
  readonly isInput: boolean;
  /** Elements per sample. */
  readonly size: number;
}

/** The growing histogram of |x| (zeros excluded) of spec §3.3. */
export interface Histogram {
  /** Counts per bin; length may exceed the initial bin number as the range grows. */
  readonly counts: Float64Array;
  /** Bin width = th / (counts.length - 1). */
  readonly width: number;
  /** The stored range th. */
  readonly th: number;
}

/**
 * Per-tensor result of the single statistics pass after the per-method post-processing of spec
 * §3.4, for every method at once (the cache stores these).
 */
export interface TensorSummary {
  readonly info: TensorInfo;
  /** Samples seen. */
  readonly samples: number;
  /** Raw observed min / max over all samples. */
  readonly min: number;
  readonly max: number;
  /** The growing |x| histogram (for KLD). */
  readonly hist: Histogram;
  /** Running max |x| (use_max). */
  readonly maxAbs: number;
  /** Percentile9999 interpolated range (spec §3.4): v_min, v_max. */
  readonly pctMin: number;
  readonly pctMax: number;
  /** Mean over samples of the per-sample Octav threshold (unclipped). */
  readonly octav: number;
  /** Mean over samples of the per-sample ACIQ thresholds (unclipped). */
  readonly aciqGauss: number;
  readonly aciqLaplace: number;
  /**
   * The percentile interpolation over the k largest |x| (spec §3.4, "last five" tensors only;
   * undefined elsewhere).
   */
  readonly last5?: number;
  /** Mean per-sample kurtosis (for --kurtosis_analysis). */
  readonly kurtosis: number;
  /** PyTorch HistogramObserver state, serialisable (torch_observer method). */
  readonly torchObserver?: TorchObserverState;
}

/** What the torch HistogramObserver port keeps between samples. */
export interface TorchObserverState {
  readonly minVal: number;
  readonly maxVal: number;
  readonly histogram: Float64Array;
}

/** One calibration table row. */
export interface ThresholdRow {
  readonly name: string;
  readonly threshold: number;
  readonly min: number;
  readonly max: number;
}
