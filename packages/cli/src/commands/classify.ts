// `classify`: TPU-MLIR's classify sample (python/samples/classify_mobilenet_v2.py, spec deploy.md
// §8.1) for our models: preprocess one image as the model's top.Input says, run it, print the
// top-5 as `rank. label (index): prob` and draw them onto the picture.
//
// Differences from the seed: the preprocessing is the model's own (the seed hard-codes a Caffe
// mobilenet's), the top-5 is printed (the seed prints nothing), probabilities come from a softmax
// when the output is logits, and --category_file / --output are optional (without a category file a
// 1000- or 1001-class output is named from the ImageNet list shipped in data/).
// .onnx models take model_transform's preprocessing flags; the defaults are tf-slim's ImageNet
// preprocessing, which both shared MobileNets use: RGB, (x - 127.5) / 127.5, resize to H/0.875
// then centre crop.
import type { Command } from 'commander';
import { UserError } from '@tpu-quant/ir';
import { assertNotInput } from '../flags.js';
import {
  addPreprocessOptions, checkOutputFormat, classificationOverlay, classNamer, imageToNetInput, loadSampleModel,
  IMAGENET_NAMES, readLabels, runOnce, toProbabilities, topK, writeAnnotated, type PreprocessFlags,
} from '../samples/index.js';

interface ClassifyFlags extends PreprocessFlags {
  model: string;
  input: string;
  category_file?: string;
  output?: string;
  top: string;
}

export function registerClassify(program: Command): void {
  const cmd = program
    .command('classify')
    .description('classify an image with a .mlir (top or tpu) or .onnx model and print the top-5 (TPU-MLIR classify sample)')
    .requiredOption('--model <file>', 'model: top/tpu .mlir (weights npz beside it), .onnx or .bmodel')
    .requiredOption('--input <image>', 'image file (jpg, png, bmp, webp)')
    .option('--category_file <file>', 'class names, one per line (a list without the background class fits a 1001-class model; default: the ImageNet names shipped with tpu-quant for 1000/1001 classes)')
    .option('--output <image>', 'write the image with the top-5 drawn on it (.jpg, .png, .webp)')
    .option('--top <k>', 'how many classes to print', '5');
  addPreprocessOptions(cmd, 'default for .onnx: rgb, mean 127.5, scale 1/127.5, resize to H/0.875').action(async (flags: ClassifyFlags) => {
    await classify(flags);
  });
}

export async function classify(flags: ClassifyFlags): Promise<void> {
  const k = Number(flags.top);
  if (!(Number.isInteger(k) && k > 0)) throw new UserError('E_BAD_FLAG', `--top ${flags.top} is not a positive integer`, 'e.g. --top 5');
  if (flags.output !== undefined) {
    checkOutputFormat(flags.output);
    assertNotInput(flags.output, [flags.input, flags.model]);
  }
  const given = flags.category_file !== undefined ? await readLabels(flags.category_file) : undefined; // a bad file fails before the run
  const model = await loadSampleModel(flags.model, flags, (shape) => ({
    pixel_format: 'rgb',
    mean: [127.5, 127.5, 127.5],
    scale: [1 / 127.5, 1 / 127.5, 1 / 127.5],
    resize_dims: [Math.round(shape[2]! / 0.875), Math.round(shape[3]! / 0.875)],
  }));
  const input = await imageToNetInput(flags.input, model.preprocess, model.inputShape, model.fused);
  const outputs = await runOnce(model.module, model.inputName, input.tensor);
  const out = outputs.at(-1)!; // the seed takes the last output
  const { probs, softmaxApplied } = toProbabilities(out.data);
  const imagenet = probs.length === 1000 || probs.length === 1001;
  const labels = given ?? (imagenet ? await readLabels(IMAGENET_NAMES) : undefined);
  const name = classNamer(labels, probs.length, flags.category_file ?? IMAGENET_NAMES);
  const lines = topK(probs, k).map((t, i) => `${i + 1}. ${name(t.index)} (${t.index}): ${t.prob.toFixed(4)}`);
  process.stdout.write(`${model.kind} model, output "${out.name}" [${out.shape.join(',')}]${softmaxApplied ? ', softmax applied' : ''}\n`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (flags.output !== undefined) {
    await writeAnnotated(input.image, classificationOverlay(input.image.width, input.image.height, lines), flags.output);
    process.stdout.write(`image saved to ${flags.output}\n`);
  }
}
