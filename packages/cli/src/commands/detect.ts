// `detect`: TPU-MLIR's detection sample (python/samples/detect_yolov3.py, spec deploy.md §8.2) for
// the YOLO family: preprocess one image as the model's top.Input says (YOLOX: letterbox, pad 114),
// run it, decode the heads (YOLOX anchor-free, YOLOv3 anchors), class-wise NMS, map the boxes back
// to the image, print `class:score%` lines with the box corners and draw the boxes.
//
// Differences from the seed: one image per run; the score threshold is --conf (obj × class
// probability, the seed's --score_thres) and --nms the IoU threshold; NMS uses the correct IoU
// of corner boxes (see samples/nms.ts); no result text file. .onnx models take
// model_transform's preprocessing flags, by default YOLOX's: BGR, no normalization, letterbox at
// the top-left (pad_type normal), pad 114.
import type { Command } from 'commander';
import { UserError } from '@tpu-quant/ir';
import { assertNotInput } from '../flags.js';
import {
  addPreprocessOptions, checkOutputFormat, classNamer, COCO80_NAMES, decodeYolov3, decodeYolox, detectionOverlay, headKind,
  imageToNetInput, loadSampleModel, nmsPerClass, numClasses, readLabels, runOnce, writeAnnotated, type Detection,
  type PreprocessFlags,
} from '../samples/index.js';

interface DetectFlags extends PreprocessFlags {
  model: string;
  input: string;
  output?: string;
  conf: string;
  nms: string;
  category_file?: string;
}

export function registerDetect(program: Command): void {
  const cmd = program
    .command('detect')
    .description('detect objects in an image with a YOLOX / YOLOv3 .mlir (top or tpu) or .onnx model (TPU-MLIR detect sample)')
    .requiredOption('--model <file>', 'model: top/tpu .mlir (weights npz beside it), .onnx, .bmodel (not yet)')
    .requiredOption('--input <image>', 'image file (jpg, png, bmp, webp)')
    .option('--output <image>', 'write the image with the boxes drawn on it (.jpg, .png, .webp)')
    .option('--conf <score>', 'keep boxes with objectness x class probability at least this', '0.25')
    .option('--nms <iou>', 'class-wise NMS: drop boxes overlapping a better one of their class by more than this IoU', '0.45')
    .option('--category_file <file>', 'class names, one per line (default: the COCO-80 names shipped with tpu-quant, for 80-class models)');
  addPreprocessOptions(cmd, 'default for .onnx: YOLOX\'s letterbox, pad_type normal, pad 114, bgr, no normalization').action(async (flags: DetectFlags) => {
    await detect(flags);
  });
}

export async function detect(flags: DetectFlags): Promise<void> {
  const conf = fraction(flags.conf, 'conf');
  const nms = fraction(flags.nms, 'nms');
  if (flags.output !== undefined) {
    checkOutputFormat(flags.output);
    assertNotInput(flags.output, [flags.input, flags.model]);
  }
  const labels = await readLabels(flags.category_file ?? COCO80_NAMES);
  const model = await loadSampleModel(flags.model, flags, () => ({
    pixel_format: 'bgr',
    keep_aspect_ratio: true,
    keep_ratio_mode: 'letterbox',
    pad_type: 'normal',
    pad_value: 114,
  }));
  const input = await imageToNetInput(flags.input, model.preprocess, model.inputShape, model.fused);
  const outputs = await runOnce(model.module, model.inputName, input.tensor);
  const kind = headKind(outputs, input.netH, input.netW);
  const nc = numClasses(outputs, kind);
  // the shipped COCO names only name 80 classes; other models print indices unless given a file
  const name = classNamer(flags.category_file === undefined && nc !== labels.length ? undefined : labels, nc, flags.category_file);
  const raw = kind === 'yolox' ? decodeYolox(outputs[0]!, input.netH, input.netW, conf) : decodeYolov3(outputs, input.netH, input.netW, conf);
  const { width, height } = input.image;
  const { sx, sy, ox, oy } = input.toImage;
  const toImage = (d: Detection): Detection => ({
    ...d,
    x0: clamp((d.x0 + ox) * sx, width), y0: clamp((d.y0 + oy) * sy, height),
    x1: clamp((d.x1 + ox) * sx, width), y1: clamp((d.y1 + oy) * sy, height),
  });
  const kept = nmsPerClass(raw, nms).map(toImage).filter((d) => d.x1 > d.x0 && d.y1 > d.y0);
  process.stdout.write(`${model.kind} model, ${kind} head, ${nc} classes: ${raw.length} boxes at conf >= ${conf}, ${kept.length} after NMS ${nms}\n`);
  const label = (d: Detection) => `${name(d.cls)}:${(d.score * 100).toFixed(1)}%`;
  if (kept.length === 0) process.stdout.write('No object was detected\n');
  for (const d of kept) {
    process.stdout.write(`${label(d)} x0=${Math.round(d.x0)} y0=${Math.round(d.y0)} x1=${Math.round(d.x1)} y1=${Math.round(d.y1)}\n`);
  }
  if (flags.output !== undefined) {
    await writeAnnotated(input.image, detectionOverlay(width, height, kept, label), flags.output);
    process.stdout.write(`image saved to ${flags.output}\n`);
  }
}

function fraction(value: string, flag: string): number {
  const v = Number(value);
  if (value.trim() === '' || !(v >= 0 && v <= 1)) throw new UserError('E_BAD_FLAG', `--${flag} ${value} is not a number in [0, 1]`, `e.g. --${flag} 0.25`);
  return v;
}

function clamp(v: number, max: number): number {
  return Math.min(max, Math.max(0, v));
}
