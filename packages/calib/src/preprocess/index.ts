export { preprocessImage, resizeFor, normalize } from './preprocess.js';
export { preprocessConfig, preprocessFromInputOp, DEFAULT_PREPROCESS, type PreprocessConfig, type PreprocessInput } from './config.js';
export { readImage, type ReadMode } from './decode.js';
export { resizeLinearU8 } from './resize-linear.js';
export { stretchResize, letterboxResize, shortSideScaleResize } from './resize-modes.js';
export { imageU8, cropImage, pasteImage, type ImageU8 } from './image.js';
