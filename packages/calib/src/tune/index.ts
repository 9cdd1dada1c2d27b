// Auto-tune of calibration thresholds (spec §4.10) and the fake quantisation it simulates.
export { fakeQuantActivation, fakeQuantActivationInto, fakeQuantWeightsForTune, roundHalfAway, roundHalfEven } from './fake-quant.js';
export { DEFAULT_MIN_TUNED_DIFF, DEFAULT_TUNE_STEPS, findBetterThreshold, MIN_THRESHOLD, tuneThresholds } from './tuner.js';
export type { TuneOptions, TuneSearch } from './tuner.js';
export { isActivation, singleOpModule } from './single-op.js';
export type { SingleOpModule } from './single-op.js';
