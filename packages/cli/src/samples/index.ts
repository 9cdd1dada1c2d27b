// The sample programs' building blocks (TPU-MLIR's python/samples): model loading, image input,
// one inference, classification and YOLO post-processing, result pictures.
export { loadSampleModel, type SampleModel, type PreprocessFlags } from './model.js';
export { imageToNetInput, netToImage, type NetInput, type NetToImage } from './net-input.js';
export { runOnce, type Output } from './run.js';
export { classNamer, readLabels, COCO80_NAMES, IMAGENET_NAMES } from './labels.js';
export { toProbabilities, topK } from './classify-post.js';
export { decodeYolov3, decodeYolox, headKind, numClasses, type Detection } from './yolo-decode.js';
export { iou, nmsPerClass } from './nms.js';
export { checkOutputFormat, classificationOverlay, detectionOverlay, writeAnnotated } from './draw.js';
export { addPreprocessOptions } from './options.js';
