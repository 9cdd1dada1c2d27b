// Statistics collection of run_calibration (spec §3): which tensors, and one pass over every
// sample that gathers what every threshold method needs.
export * from './types.js';
export { tensorInfos } from './tensor-list.js';
export { histogramOf, combineHistogram, MAX_HISTOGRAM_BINS } from './histogram.js';
export { StatsCollector, type CollectorOptions, type SampleSink } from './collector.js';
export { octavThreshold } from './octav.js';
export {
  ACIQ_GAUSS_ALPHA, ACIQ_LAPLACE_BETA, aciqGauss, aciqLaplace, interpolateTail, percentileLevel, percentileRatio, tailLength,
} from './methods.js';
