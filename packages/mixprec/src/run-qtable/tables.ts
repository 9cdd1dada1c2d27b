// run_qtable's two files (calibration spec §7 step 4, §11.2, §11.3): the loss table (layers by
// cos, ascending, each line also printed) and the qtable (calib's writer, with the sample number).
import { formatQtable, pyDatetime } from '@tpu-quant/calib';
import { pyFixed } from '@tpu-quant/ir';

export interface TableHeader {
  readonly time: Date;
  readonly sampleNumber: number;
  readonly chip: string;
  readonly mixMode: string;
}

/** `No.{idx:<4}: Layer: {name:<50}\t\t\tCos: {cos:.6f}` for each layer, lowest cos first (a stable sort, as Python's). */
export function lossTableLines(layerCos: readonly (readonly [string, number])[]): string[] {
  const sorted = [...layerCos].sort((a, b) => a[1] - b[1]);
  return sorted.map(([name, cos], i) => `No.${String(i).padEnd(4)}: Layer: ${name.padEnd(50)}\t\t\tCos: ${pyFixed(cos, 6)}`);
}

export function formatLossTable(h: TableHeader, layerCos: readonly (readonly [string, number])[]): string {
  const head = [`# genetated time: ${pyDatetime(h.time)}`, `# sample number: ${h.sampleNumber}`, `# chip: ${h.chip}  mix_mode: ${h.mixMode}`, '###'];
  return `${[...head, ...lossTableLines(layerCos)].join('\n')}\n`;
}

/** The qtable: every float layer once, in the order the search added it, at the mix mode. */
export function formatMixQtable(h: TableHeader, floatLayers: readonly string[]): string {
  return formatQtable({ time: h.time, sampleNumber: h.sampleNumber, chip: h.chip, mode: h.mixMode }, floatLayers.map((name) => ({ name, mode: h.mixMode })));
}
