// Threshold methods (spec §4): KLD, the PyTorch HistogramObserver port, and the per-method
// selection and override rules that turn tensor statistics into calibration-table rows.
export { kldThreshold } from './kld.js';
export { TorchHistogramObserver, torchObserverRow } from './torch-observer.js';
export { checkAsymmetricMethod, computeThresholds, type ThresholdOptions, type ThresholdResult } from './select.js';
