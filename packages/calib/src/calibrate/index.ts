export { runCalibration, type CalibrationRequest, type CalibrationResult, type CalibrationTimings } from './run-calibration.js';
export { parseDebugCmd, resolveMethod, methodIsTuned } from './method-options.js';
export { NO_PROGRESS, type ProgressSink } from './progress.js';
export { statisticsKey, loadStatistics, saveStatistics, cachePath } from './statistics-cache.js';
export { StatsThread } from './stats-thread.js';
