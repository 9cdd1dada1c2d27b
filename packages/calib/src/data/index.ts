// Calibration data: which files (TPU-MLIR's DataSelector) and how they become network inputs.
export { PythonRandom } from './python-random.js';
export { selectSamples, datasetFiles, sampleKindOf, comparePython, IMAGE_EXTENSIONS, type SampleList, type SampleKind } from './select.js';
export { calibrationData, type CalibrationData, type CalibrationDataOptions } from './load.js';
