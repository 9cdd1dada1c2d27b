// Class names for the sample programs: a --category_file (one name per line, as TPU-MLIR's
// samples read it), or the lists shipped in data/: COCO-80 for detectors, the 1000 ImageNet classes
// for 1000- or 1001-class classifiers; without names a class prints as its index.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { UserError } from '@tpu-quant/ir';

/** packages/cli/data/coco80.names (the same depth from src/samples and dist/samples). */
export const COCO80_NAMES = fileURLToPath(new URL('../../data/coco80.names', import.meta.url));

/** packages/cli/data/imagenet1000.names: the 1000 ImageNet classes in synset order, without wnids. */
export const IMAGENET_NAMES = fileURLToPath(new URL('../../data/imagenet1000.names', import.meta.url));

export async function readLabels(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UserError('E_IO', `category file ${file} does not exist or cannot be read`, 'give a text file with one class name per line');
  }
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) throw new UserError('E_LABELS', `category file ${file} is empty`, 'give a text file with one class name per line');
  return lines;
}

/**
 * Names for `numClasses` outputs. A list one shorter than the outputs is taken as lacking the
 * background class 0 (a 1000-name ImageNet list with a 1001-class tf-slim model).
 */
export function classNamer(labels: readonly string[] | undefined, numClasses: number, file = 'the category file'): (index: number) => string {
  if (labels === undefined) return (i) => `class ${i}`;
  if (labels.length === numClasses) return (i) => labels[i]!;
  if (labels.length + 1 === numClasses) return (i) => (i === 0 ? 'background' : labels[i - 1]!);
  throw new UserError('E_LABELS', `${file} has ${labels.length} names but the model has ${numClasses} classes`, `give a file with ${numClasses} lines (or ${numClasses - 1} when class 0 is background)`);
}
