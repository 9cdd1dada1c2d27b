import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isUserError } from '@tpu-quant/ir';
import {
  BMODEL_MAGIC, PROGRAM_MLIR_NAME, PROGRAM_OP_TYPE, PROGRAM_WEIGHTS_NAME, readBmodel, writeBmodel,
} from '@tpu-quant/bmodel';
import { bytesOf, fullModel, programModel } from './sample-model.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

function header(bytes: Uint8Array) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    magic: v.getUint32(0, true), headerSize: v.getUint32(4, true),
    fbSize: v.getUint32(8, true), binSize: v.getUint32(12, true),
    reserved: Array.from({ length: 12 }, (_, i) => v.getUint32(16 + 4 * i, true)),
  };
}

describe('writeBmodel -> readBmodel', () => {
  it('gives back every field of a model that uses every table', () => {
    const m = fullModel();
    expect(readBmodel(writeBmodel(m))).toEqual(m);
  });

  it('gives back the tpu-quant program and removes its carrier subnet', () => {
    const m = programModel();
    const back = readBmodel(writeBmodel(m));
    expect(back).toEqual(m);
    expect(back.nets[0].stages[0].program?.mlir).toContain('µ-test');
    expect(back.nets[0].stages[0].subNets).toEqual([]);
  });

  it('writes the 64-byte header: magic, size, section sizes, reserved zeros', () => {
    const bytes = writeBmodel(programModel());
    const h = header(bytes);
    expect(h.magic).toBe(BMODEL_MAGIC);
    expect(h.headerSize).toBe(64);
    expect(64 + h.fbSize + h.binSize).toBe(bytes.length);
    expect(h.reserved).toEqual(new Array(12).fill(0));
  });

  it('stores byte-identical blobs once and appends the rest without padding', () => {
    const m = programModel(1000);
    const once = writeBmodel(m).length;
    // A second net whose stage has an equal (but distinct) coeff array and program.
    const twin = structuredClone(m.nets[0]);
    twin.name = 'twin';
    const twice = writeBmodel({ ...m, nets: [m.nets[0], twin] });
    const h1 = header(writeBmodel(m));
    const h2 = header(twice);
    expect(h2.binSize).toBe(h1.binSize);
    expect(twice.length - once).toBeLessThan(1000);
    // Different bytes are not merged: the binary section grows by exactly the new blob.
    twin.stages[0].coeff!.data = bytesOf(1000, 99);
    expect(header(writeBmodel({ ...m, nets: [m.nets[0], twin] })).binSize).toBe(h1.binSize + 1000);
  });

  it('stores the coeff check code as the SHA-256 of the coeff blob', () => {
    // flatc's decoding of our output (fixtures/full-flatc.json) holds the check code.
    const json = JSON.parse(readFileSync(new URL('./fixtures/full-flatc.json', import.meta.url), 'utf8'));
    const want = createHash('sha256').update(fullModel().nets[0].stages[0].coeff!.data).digest();
    expect(json.net[0].parameter[0].coeff_mem.check_code).toEqual([...want]);
  });
});

describe('writeBmodel ranges', () => {
  it('keeps uint32 values above 2^31 and u64 values up to 2^53', () => {
    const m = programModel();
    const t = m.nets[0].stages[0].inputs[0];
    Object.assign(t, { cpuAddr: 0xfffffff0, padH: 0x80000000, deviceAddr: Number.MAX_SAFE_INTEGER });
    const back = readBmodel(writeBmodel(m)).nets[0].stages[0].inputs[0];
    expect([back.cpuAddr, back.padH, back.deviceAddr]).toEqual([0xfffffff0, 0x80000000, Number.MAX_SAFE_INTEGER]);
  });

  it('refuses values outside a field and a program beside other subnets (E_BMODEL_WRITE)', () => {
    const bad = (m: ReturnType<typeof programModel>) => {
      try {
        writeBmodel(m);
      } catch (e) {
        return isUserError(e) && e.code === 'E_BMODEL_WRITE' ? e.message : `other error ${String(e)}`;
      }
      return 'accepted';
    };
    const m1 = programModel();
    m1.nets[0].stages[0].inputs[0].zeroPoint = 2 ** 31;
    expect(bad(m1)).toMatch(/net\[0\]\.parameter\[0\]\.input_tensor\[0\]\.zero_point: 2147483648 is not an int32/);
    const m2 = programModel();
    m2.nets[0].stages[0].ctxSize = -1;
    expect(bad(m2)).toMatch(/ctx_size: -1 is not an integer in \[0, 2\^53\)/);
    const m3 = programModel();
    m3.nets[0].stages[0].subNets = fullModel().nets[0].stages[0].subNets;
    expect(bad(m3)).toMatch(/a stage with a tpu-quant program has no other subnets/);
  });
});

describe('readBmodel on files whose flatbuffer flatc built', () => {
  it('reads every field of the full model', () => {
    const m = readBmodel(fixture('full-flatc.bmodel'));
    expect(m).toEqual(fullModel());
    // Spot checks against the literal values in full-flatc.json, independent of sample-model.ts.
    const t = m.nets[0].stages[0].inputs[0];
    expect([m.chip, m.deviceNum, m.bmodelType, m.neuronSize]).toEqual(['BM1688', 2, 1, 123456]);
    expect([t.dataType, t.padH, t.deviceAddr, t.zeroPoint]).toEqual(['u8', 131073, 1099511631872, -3]);
    expect(m.nets[0].cascade).toEqual({ deviceId: 1, step: 2, mainName: 'main' });
  });

  it('finds the tpu-quant program by its op type and const names', () => {
    const json = JSON.parse(readFileSync(new URL('./fixtures/program-flatc.json', import.meta.url), 'utf8'));
    const sub = json.net[0].parameter[0].sub_net[0];
    expect(sub.subnet_mode).toBe(1);
    expect(sub.cpu_param[0].op_type).toBe(PROGRAM_OP_TYPE);
    expect(sub.cpu_param[0].is_custom).toBe(1);
    expect(sub.cpu_param[0].cpu_const.map((c: { name: string }) => c.name)).toEqual([PROGRAM_MLIR_NAME, PROGRAM_WEIGHTS_NAME]);
    expect(readBmodel(fixture('program-flatc.bmodel'))).toEqual(programModel());
  });
});
