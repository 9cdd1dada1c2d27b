// @tpu-quant/calib: datasets and preprocessing, statistics, thresholds, calibration tables.
export * from './preprocess/index.js';
