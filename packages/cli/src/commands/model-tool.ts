// `model_tool --info x.bmodel` (TPU-MLIR's tools/model_tool, bm_show): the header lines and the
// per-stage input/output lines in TPU-MLIR's layout, then what our files add — tensor
// addresses and sizes, the coeff blob and its SHA-256, the neuron size, and whether the stage
// carries vendor commands (never, from tpu-quant) or our lowered program.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '@tpu-quant/ir';
import {
  BMODEL_DATA_TYPE_NAMES, readBmodel, sha256, type BmodelModel, type BmodelStage, type BmodelTensor,
} from '@tpu-quant/bmodel';

export function registerModelTool(program: Command): void {
  program
    .command('model_tool')
    .description('inspect a .bmodel (TPU-MLIR model_tool): --info, --chip')
    .option('--info <file>', 'show the model: chip, nets, stages, inputs/outputs, weights, program')
    .option('--chip <file>', 'print the chip the model was built for')
    .action((opts: { info?: string; chip?: string }) => {
      if (opts.info === undefined && opts.chip === undefined) {
        throw new UserError('E_BAD_FLAG', 'model_tool needs --info <file> or --chip <file>', 'example: model_tool --info resnet18_int8.bmodel');
      }
      if (opts.chip !== undefined) process.stdout.write(`${load(opts.chip).chip}\n`);
      if (opts.info !== undefined) process.stdout.write(formatModelInfo(load(opts.info)));
    });
}

function load(file: string): BmodelModel {
  if (/\.cvimodel$/i.test(file)) {
    throw new UserError('E_NOT_AVAILABLE', `${file}: .cvimodel files are not supported yet`, 'model_tool reads .bmodel files');
  }
  const bytes = readFileSync(file);
  try {
    return readBmodel(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    if (e instanceof UserError) throw new UserError(e.code, `${file}: ${e.message}`, e.hint);
    throw e;
  }
}

export function formatModelInfo(m: BmodelModel): string {
  const lines: string[] = [];
  lines.push(`bmodel version: ${m.type}.${m.version}`);
  lines.push(`chip: ${m.chip}${m.deviceNum > 1 ? `,  device num: ${m.deviceNum}` : ''}`);
  lines.push(`create time: ${m.time}`);
  if (m.kernelModule) {
    lines.push(`kernel_module name: ${m.kernelModule.fileName}`, `kernel_module size: ${m.kernelModule.binary.length}`);
  } else {
    lines.push('no kernel_module');
  }
  m.nets.forEach((net, i) => {
    if (net.stages.length === 0) return;
    lines.push('==========================================');
    lines.push(`net ${i}: [${net.name}]  ${net.stages[0].isDynamic ? 'dynamic' : 'static'}`);
    if (net.addrMode) lines.push(`addr mode: ${net.addrMode}`);
    if (net.cascade) lines.push(`device id: ${net.cascade.deviceId}`);
    net.stages.forEach((st, j) => {
      lines.push('------------', `stage ${j}:`);
      const subnets = st.subNets.length + (st.program ? 1 : 0);
      if (subnets > 1) lines.push(`subnet number: ${subnets}`);
      const dyn = st.nDynamic !== 0 || st.hwDynamic !== 0;
      for (const t of st.inputs) lines.push(tensorLine('input', t, dyn));
      for (const t of st.outputs) lines.push(tensorLine('output', t, false));
      lines.push(...stageExtras(st));
    });
  });
  lines.push('');
  lines.push(`neuron size: ${m.neuronSize}`);
  return `${lines.join('\n')}\n`;
}

function tensorLine(kind: 'input' | 'output', t: BmodelTensor, dynamic: boolean): string {
  const dims = t.shapes[0] ?? [];
  const shape = dims.length === 0 ? '[ ]' : `[${dims.map((d) => `${dynamic ? 'max:' : ''}${d}`).join(', ')}]`;
  return `${kind}: ${t.name}, ${shape}, ${BMODEL_DATA_TYPE_NAMES[t.dataType]}, scale: ${cppFloat(t.scale)}, ` +
    `zero_point: ${t.zeroPoint}, addr: ${hex(t.deviceAddr)}, size: ${t.size}`;
}

function stageExtras(st: BmodelStage): string[] {
  const out: string[] = [];
  if (st.coeff) {
    const sha = Buffer.from(sha256(st.coeff.data)).toString('hex');
    out.push(`coeff: ${st.coeff.data.length} bytes at ${hex(st.coeff.address)}, sha256 ${sha}`);
  } else {
    out.push('coeff: none');
  }
  out.push(`ctx: ${st.ctxSize} bytes at ${hex(st.ctxAddr)}`);
  const groups = st.cmdGroups.length + st.subNets.reduce((n, s) => n + s.cmdGroups.length, 0);
  out.push(groups > 0 ? `tpu commands: ${groups} command groups` : 'tpu commands: none (a TPU cannot run this stage)');
  out.push(st.program
    ? `tpu-quant program: present (mlir ${st.program.mlir.length} chars, weights npz ${st.program.weights.length} bytes)`
    : 'tpu-quant program: absent');
  return out;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** How C++'s `ostream << float` prints (printf "%g": 6 significant digits). */
export function cppFloat(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(6)))));
  if (exp < -4 || exp >= 6) {
    const [mant, e] = x.toExponential(5).split('e');
    const n = Number(e);
    return `${trimZeros(mant)}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return trimZeros(x.toFixed(Math.max(0, 5 - exp)));
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}
