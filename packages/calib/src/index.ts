// @tpu-quant/calib: datasets and preprocessing, statistics, thresholds, calibration tables.
export * from './preprocess/index.js';
export * from './data/index.js';
export * from './stats/index.js';
export * from './thresholds/index.js';
export * from './tables/index.js';
export * from './patterns/index.js';
export * from './tune/index.js';
export * from './we/index.js';
export * from './calibrate/index.js';
