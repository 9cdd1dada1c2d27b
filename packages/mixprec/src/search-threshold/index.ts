export { searchThreshold, SEARCH_METHODS, type SearchThresholdOptions, type SearchThresholdResult, type MethodTable } from './search-threshold.js';
export { benchmarkScore, parseBenchmarkMethod, pickBest, snrLoss, type BenchmarkMethod } from './scores.js';
export { compareTensors } from './model-outputs.js';
