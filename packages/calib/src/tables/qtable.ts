// The quantize table (qtable, calibration spec §11.2): per-op precision overrides, written as the
// search tools write them and read as model_deploy's lowering reads them
// (lib/Conversion/TopToTpu/TopToTpuPass.cpp, init_qtable).
import { UserError } from '@tpu-quant/ir';
import { pyDatetime } from './py-format.js';

/** `module::Mode` (include/tpu_mlir/Support/Module.td): what a qtable line may ask for. */
export const QTABLE_MODES: readonly string[] = [
  'INT8', 'UINT8', 'INT4', 'BF16', 'F16', 'F32', 'W8F16', 'W8BF16', 'W4F16', 'W4BF16',
  'F8', 'F8E4M3', 'F8E5M2', 'W4F8E4M3', 'W4F8E5M2',
];

/**
 * The qtable text. `sampleNumber` is written by the search tools only; `mode` is the header's
 * mix mode, and `# number of <mode> layer:` counts every entry (as TPU-MLIR writes it);
 * `partQuantize` adds MatchPattern's `# part_quantize ` line.
 */
export function formatQtable(
  h: { time: Date; sampleNumber?: number; chip: string; mode: string; partQuantize?: boolean },
  entries: readonly { name: string; mode: string }[],
): string {
  const out = [`# genetated time: ${pyDatetime(h.time)}`];
  if (h.sampleNumber !== undefined) out.push(`# sample number: ${h.sampleNumber}`);
  out.push(
    `# chip: ${h.chip}  mix_mode: ${h.mode}`,
    `# number of ${h.mode} layer: ${entries.length}`,
  );
  if (h.partQuantize) out.push('# part_quantize ');
  out.push('###', '# op_name   quantize_mode');
  for (const e of entries) out.push(`${e.name} ${e.mode}`);
  return `${out.join('\n')}\n`;
}

/**
 * Op name -> mode (upper-cased, one of QTABLE_MODES); a later line for a name wins. As init_qtable:
 * one trailing `\r` trimmed; blank lines, lines starting with `#`, and single-word lines are
 * skipped; `name mode` lines count. We also allow whitespace around a line (the importer rejects
 * it). Three or more words, or an unknown mode, is a UserError naming the line. The CV18xx rule
 * (F32/F16 read as BF16) is the caller's: it depends on the chip.
 */
export function parseQtable(text: string, source = 'quantize table'): Map<string, string> {
  const map = new Map<string, string>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = (raw.endsWith('\r') ? raw.slice(0, -1) : raw).trim();
    if (line === '' || line.startsWith('#')) return;
    const words = line.split(/[ \t\n\v\f\r]+/);
    if (words.length === 1) return;
    if (words.length > 2) {
      throw new UserError('E_QTABLE', `${source}:${i + 1}: "${line}" is not "<op name> <mode>"`, 'one op per line: its name, a space, and a mode such as F16 or INT8');
    }
    const mode = words[1]!.replace(/[a-z]/g, (c) => c.toUpperCase()); // ASCII only, as StringRef::upper
    if (!QTABLE_MODES.includes(mode)) {
      throw new UserError('E_QTABLE', `${source}:${i + 1}: unknown quantize mode "${words[1]}" for ${words[0]}`, `modes: ${QTABLE_MODES.join(', ')}`);
    }
    map.set(words[0]!, mode); // a later line for the name wins
  });
  return map;
}
