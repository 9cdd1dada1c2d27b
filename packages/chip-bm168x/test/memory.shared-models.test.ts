// Opt-in: address assignment of every shared model (TPUQ_SHARED_OUT, e.g. /tmp/shared-out, holding
// the model_transform outputs), lowered to F32 for bm1684x, bm1688 and bm1690, and mobilenet_v2 INT8
// with its calibration table (TPUQ_MV2_CALI_TABLE, default /tmp/c1/cali_table_100): the plan of
// every addr_mode the chip can do passes the checker, the IR carries the addresses and survives
// the text round trip. Prints the totals.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getTarget, loadNpz, parseMlir, printMlir, type Module } from '@tpu-quant/ir';
import { addressOf, assignAddresses, checkMemoryPlan, importCalibration, lowerTopToTpu, propagateCalibration, supportedAddrModes } from '../src/index.js';
import { rows } from './helpers.js';

const dir = process.env.TPUQ_SHARED_OUT;
const table = process.env.TPUQ_MV2_CALI_TABLE ?? '/tmp/c1/cali_table_100';
const MODELS = ['mobilenet_v2', 'mobilenet_v1', 'yolox_nano', 'fastestdet', 'ultraface', 'ppocrv4_det'];

async function load(name: string): Promise<Module> {
  const m = parseMlir(readFileSync(join(dir!, `${name}.mlir`), 'utf8'), `${name}.mlir`);
  m.weights = await loadNpz(join(dir!, `${name}_top_f32_all_weight.npz`));
  return m;
}

function caliRows(file: string) {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  return rows(lines.join('\n'));
}

async function check(name: string, chip: string, mode: 'F32' | 'INT8'): Promise<void> {
  const m = await load(name);
  if (mode === 'INT8') {
    importCalibration(m, caliRows(table), { asymmetric: false, processor: chip });
    propagateCalibration(m, { processor: chip });
  }
  lowerTopToTpu(m, { chip, mode });
  const t0 = performance.now();
  const plan = assignAddresses(m);
  const ms = performance.now() - t0;
  checkMemoryPlan(plan);
  // Every other mode the chip can do passes the checker too.
  const sizes: string[] = [];
  for (const addrMode of supportedAddrModes(getTarget(chip)).filter((x) => x !== 'basic')) {
    const other = assignAddresses(m, { addrMode });
    checkMemoryPlan(other);
    const tags = (other.ioTags ?? []).reduce((n, t) => n + t.size, 0);
    const slices = other.values.filter((v) => v.inPlaceOf !== undefined && m.main.ops.some((op) => (op.type === 'tpu.Slice' || op.type === 'top.Slice') && op.name === v.name)).length;
    sizes.push(`${addrMode} neuron ${other.neuron.size}${other.io ? ` io ${other.io.size}` : ''}${other.ioTags ? ` tags ${tags}` : ''}${slices ? ` (${slices} slices in place)` : ''}`);
  }
  const again = assignAddresses(m); // back to basic for the round trip below
  expect(again.neuron).toEqual(plan.neuron);
  // Every value with memory carries its address in the IR, and the text round trip keeps them.
  const text = printMlir(m);
  const back = parseMlir(text, 'roundtrip.mlir');
  expect(printMlir(back)).toBe(text);
  const byName = new Map(plan.values.map((v) => [v.name, v.addr]));
  for (const op of back.main.ops) for (const r of op.results) if (r.name && byName.has(r.name)) expect(addressOf(r)).toBe(byName.get(r.name));
  if (plan.l2sram) sizes.unshift(`l2sram ${plan.l2sram.size}/${plan.l2sram.capacity} (${plan.values.filter((v) => v.region === 'l2sram' && v.inPlaceOf === undefined).length} buffers)`);
  const all = plan.values.filter((v) => v.inPlaceOf === undefined).reduce((s, v) => s + v.size, 0);
  console.log(
    `${name} ${mode} ${chip}: coeff ${plan.coeff.size} B (${plan.coeff.weights.length} weights) at 0x${plan.coeff.addr.toString(16)}, ` +
      `neuron ${plan.neuron.size} B at 0x${plan.neuron.addr.toString(16)} (no reuse ${all} B; FitFirst ${plan.totals.FitFirstAssign}, ` +
      `OpSizeOrder ${plan.totals.OpSizeOrderAssign} -> ${plan.allocator}); ${sizes.join('; ')}; ${ms.toFixed(1)} ms`,
  );
}

describe.skipIf(!dir || !existsSync(dir))('address assignment of the shared models', () => {
  for (const name of MODELS) {
    for (const chip of ['bm1684x', 'bm1688', 'bm1690']) {
      it(`${name} F32 ${chip}`, async () => {
        await check(name, chip, 'F32');
      }, 120_000);
    }
  }
  it.skipIf(!existsSync(table))('mobilenet_v2 INT8 bm1684x and bm1688', async () => {
    await check('mobilenet_v2', 'bm1684x', 'INT8');
    await check('mobilenet_v2', 'bm1688', 'INT8');
  }, 120_000);
});
