// writeBmodel: header + flatbuffer (bmodel.Model, tables built by hand with the `flatbuffers`
// Builder; slot numbers are the schema's field ids, spec/deploy.md §7.1) + binary section.
import { Builder } from 'flatbuffers';
import { BinarySectionWriter, sha256, type BinaryRange } from './binary-section.js';
import { bmodelWriteError } from './errors.js';
import { BMODEL_HEADER_SIZE, encodeHeader } from './header.js';
import type {
  BmodelCmdGroup, BmodelCoeff, BmodelCpuParam, BmodelModel, BmodelModule, BmodelNet, BmodelStage,
  BmodelSubNet, BmodelTensor,
} from './model.js';
import { BMODEL_DATA_TYPES } from './model.js';
import { programSubNet } from './program.js';

type Offset = number;

class FlatWriter {
  readonly b = new Builder(1 << 16);
  readonly bin = new BinarySectionWriter();
  /** Tensor tables written once and shared (the program subnet repeats the stage's tensors). */
  private readonly tensors = new Map<BmodelTensor, Offset>();

  model(m: BmodelModel): Offset {
    const b = this.b;
    const type = b.createString(m.type);
    const version = b.createString(m.version);
    const time = b.createString(m.time);
    const chip = b.createString(m.chip);
    const nets = this.tableVector(m.nets.map((n, i) => this.net(n, `net[${i}]`)));
    const kernel = m.kernelModule && this.module(m.kernelModule);
    const cpuop = m.cpuopModule && this.module(m.cpuopModule);
    const lib = m.libBackend && this.bin.write(m.libBackend);
    b.startObject(11);
    b.addFieldOffset(0, type, 0);
    b.addFieldOffset(1, version, 0);
    b.addFieldOffset(2, time, 0);
    b.addFieldOffset(3, chip, 0);
    b.addFieldOffset(4, nets, 0);
    b.addFieldInt64(5, u64(m.neuronSize, 'model.neuron_size'), 0n);
    if (kernel) b.addFieldOffset(6, kernel, 0);
    b.addFieldInt32(7, u32(m.deviceNum, 'model.device_num'), 0);
    if (cpuop) b.addFieldOffset(8, cpuop, 0);
    b.addFieldInt32(9, u32(m.bmodelType, 'model.bmodel_type'), 0);
    if (lib) this.binary(10, lib);
    return b.endObject();
  }

  private module(k: BmodelModule): Offset {
    const name = this.b.createString(k.fileName);
    const range = this.bin.write(k.binary);
    this.b.startObject(2);
    this.b.addFieldOffset(0, name, 0);
    this.binary(1, range);
    return this.b.endObject();
  }

  private net(n: BmodelNet, where: string): Offset {
    const b = this.b;
    const name = b.createString(n.name);
    const params = this.tableVector(n.stages.map((s, i) => this.stage(s, `${where}.parameter[${i}]`)));
    let cascade: Offset | undefined;
    if (n.cascade) {
      const main = n.cascade.mainName === undefined ? 0 : b.createString(n.cascade.mainName);
      b.startObject(3);
      b.addFieldInt32(0, u32(n.cascade.deviceId, `${where}.cascade.device_id`), 0);
      b.addFieldInt32(1, u32(n.cascade.step, `${where}.cascade.step`), 0);
      if (main) b.addFieldOffset(2, main, 0);
      cascade = b.endObject();
    }
    b.startObject(6);
    b.addFieldOffset(0, name, 0);
    b.addFieldOffset(3, params, 0);
    if (cascade !== undefined) b.addFieldOffset(4, cascade, 0);
    b.addFieldInt32(5, i32(n.addrMode, `${where}.addr_mode`), 0);
    return b.endObject();
  }

  private stage(s: BmodelStage, where: string): Offset {
    const b = this.b;
    if (s.program && s.subNets.length > 0) {
      throw bmodelWriteError(where, 'a stage with a tpu-quant program has no other subnets');
    }
    const subNets = s.program ? [programSubNet(s, s.program)] : s.subNets;
    const inputs = this.tensorVector(s.inputs, `${where}.input_tensor`);
    const outputs = this.tensorVector(s.outputs, `${where}.output_tensor`);
    const coeff = s.coeff && this.coeff(s.coeff, `${where}.coeff_mem`);
    const cmds = this.optionalVector(s.cmdGroups.map((c) => this.cmdGroup(c, `${where}.cmd_group`)));
    const subs = this.optionalVector(subNets.map((sn, i) => this.subNet(sn, `${where}.sub_net[${i}]`)));
    const ctxSizes = s.ctxSizes.length > 0 ? this.u64Vector(s.ctxSizes, `${where}.ctx_sizes`) : 0;
    const blobs = {
      profile: s.netProfile && this.bin.write(s.netProfile),
      ir: s.binaryIr && this.bin.write(s.binaryIr),
      stat: s.netStat && this.bin.write(s.netStat),
      loc: s.tensorLoc && this.bin.write(s.tensorLoc),
    };
    b.startObject(20);
    b.addFieldOffset(0, inputs, 0);
    b.addFieldOffset(1, outputs, 0);
    b.addFieldInt64(2, u64(s.ctxAddr, `${where}.ctx_addr`), 0n);
    b.addFieldInt64(3, u64(s.ctxSize, `${where}.ctx_size`), 0n);
    if (coeff) b.addFieldOffset(4, coeff, 0);
    b.addFieldInt32(5, i32(s.isDynamic, `${where}.is_dynamic`), 0);
    b.addFieldInt32(6, i32(s.nDynamic, `${where}.n_dynamic`), 0);
    b.addFieldInt32(7, i32(s.hwDynamic, `${where}.h_w_dynamic`), 0);
    if (cmds) b.addFieldOffset(8, cmds, 0);
    if (blobs.profile) this.binary(9, blobs.profile);
    if (blobs.ir) this.binary(11, blobs.ir);
    if (subs) b.addFieldOffset(12, subs, 0);
    b.addFieldInt32(13, u32(s.cpuMemSize, `${where}.cpu_mem_size`), 0);
    if (ctxSizes) b.addFieldOffset(14, ctxSizes, 0);
    if (blobs.stat) this.binary(15, blobs.stat);
    b.addFieldInt32(16, u32(s.coreNum, `${where}.core_num`), 0);
    b.addFieldInt64(17, u64(s.ioAddr, `${where}.io_addr`), 0n);
    b.addFieldInt64(18, u64(s.ioSize, `${where}.io_size`), 0n);
    if (blobs.loc) this.binary(19, blobs.loc);
    return b.endObject();
  }

  private coeff(c: BmodelCoeff, where: string): Offset {
    const b = this.b;
    const range = this.bin.write(c.data);
    const check = b.createByteVector(sha256(c.data));
    const locs = this.optionalVector(c.locations.map((l, i) => {
      const name = b.createString(l.name);
      b.startObject(3);
      b.addFieldOffset(0, name, 0);
      b.addFieldInt64(1, u64(l.offset, `${where}.location[${i}].offset`), 0n);
      b.addFieldInt64(2, u64(l.size, `${where}.location[${i}].size`), 0n);
      return b.endObject();
    }));
    b.startObject(6);
    b.addFieldInt64(0, u64(c.address, `${where}.address`), 0n);
    b.addFieldOffset(1, check, 0);
    this.binary(2, range);
    if (locs) b.addFieldOffset(3, locs, 0);
    return b.endObject();
  }

  private cmdGroup(c: BmodelCmdGroup, where: string): Offset {
    const b = this.b;
    const bdc = this.bin.write(c.bdc);
    const gdma = this.bin.write(c.gdma);
    b.startObject(6);
    b.addFieldInt32(0, u32(c.bdcNum, `${where}.bdc_num`), 0);
    b.addFieldInt32(1, u32(c.gdmaNum, `${where}.gdma_num`), 0);
    this.binary(2, bdc);
    this.binary(3, gdma);
    b.addFieldInt32(4, u32(c.bdcCmdByte, `${where}.bdc_cmd_byte`), 0);
    b.addFieldInt32(5, u32(c.gdmaCmdByte, `${where}.gdma_cmd_byte`), 0);
    return b.endObject();
  }

  private subNet(s: BmodelSubNet, where: string): Offset {
    const b = this.b;
    const cmds = this.optionalVector(s.cmdGroups.map((c) => this.cmdGroup(c, `${where}.cmd_group`)));
    const cpus = this.optionalVector(s.cpuParams.map((p, i) => this.cpuParam(p, `${where}.cpu_param[${i}]`)));
    const inputs = this.optionalTensorVector(s.inputs, `${where}.input_tensor`);
    const outputs = this.optionalTensorVector(s.outputs, `${where}.output_tensor`);
    const next = s.nextSubnetIds.length > 0 ? this.i32Vector(s.nextSubnetIds, `${where}.next_subnet_ids`) : 0;
    b.startObject(15);
    b.addFieldInt32(0, i32(s.mode, `${where}.subnet_mode`), 0);
    if (cmds) b.addFieldOffset(1, cmds, 0);
    if (cpus) b.addFieldOffset(2, cpus, 0);
    if (inputs) b.addFieldOffset(3, inputs, 0);
    if (outputs) b.addFieldOffset(4, outputs, 0);
    b.addFieldInt32(5, i32(s.isDynamic, `${where}.is_dynamic`), 0);
    b.addFieldInt32(6, u32(s.irOffset, `${where}.ir_offset`), 0);
    b.addFieldInt32(7, u32(s.irLen, `${where}.ir_len`), 0);
    b.addFieldInt32(8, i32(s.nDynamic, `${where}.n_dynamic`), 0);
    b.addFieldInt32(9, i32(s.hwDynamic, `${where}.h_w_dynamic`), 0);
    b.addFieldInt32(10, i32(s.id, `${where}.id`), -1);
    if (next) b.addFieldOffset(11, next, 0);
    return b.endObject();
  }

  private cpuParam(p: BmodelCpuParam, where: string): Offset {
    const b = this.b;
    const param = p.param && this.bin.write(p.param);
    const consts = this.optionalVector(p.consts.map((c) => {
      const name = b.createString(c.name);
      const range = this.bin.write(c.data);
      const check = b.createByteVector(sha256(c.data));
      b.startObject(3);
      b.addFieldOffset(0, name, 0);
      this.binary(1, range);
      b.addFieldOffset(2, check, 0);
      return b.endObject();
    }));
    b.startObject(4);
    b.addFieldInt32(0, i32(p.opType, `${where}.op_type`), 0);
    if (param) this.binary(1, param);
    if (consts) b.addFieldOffset(2, consts, 0);
    b.addFieldInt32(3, i32(p.isCustom, `${where}.is_custom`), 0);
    return b.endObject();
  }

  private tensor(t: BmodelTensor, where: string): Offset {
    const known = this.tensors.get(t);
    if (known !== undefined) return known;
    const b = this.b;
    const dataType = BMODEL_DATA_TYPES.indexOf(t.dataType);
    if (dataType < 0) throw bmodelWriteError(`${where}.data_type`, `unknown data type "${t.dataType}"`);
    const name = b.createString(t.name);
    const shapes = this.tableVector(t.shapes.map((dims, i) => {
      const v = this.u64Vector(dims, `${where}.shape[${i}]`);
      b.startObject(1);
      b.addFieldOffset(0, v, 0);
      return b.endObject();
    }));
    b.startObject(13);
    b.addFieldOffset(0, name, 0);
    b.addFieldInt32(1, dataType, 0);
    b.addFieldInt32(2, i32(t.gmemStmode, `${where}.gmem_stmode`), 0);
    b.addFieldInt64(3, u64(t.deviceAddr, `${where}.device_addr`), 0n);
    b.addFieldInt64(4, u64(t.size, `${where}.size`), 0n);
    b.addFieldOffset(5, shapes, 0);
    b.addFieldInt32(6, u32(t.memType, `${where}.mem_type`), 0);
    b.addFieldFloat32(7, t.scale, 1.0);
    b.addFieldInt32(8, u32(t.cpuAddr, `${where}.cpu_addr`), 0);
    b.addFieldInt32(9, u32(t.padH, `${where}.pad_h`), 0);
    b.addFieldInt32(10, i32(t.zeroPoint, `${where}.zero_point`), 0);
    b.addFieldInt32(11, i32(t.hidden, `${where}.hidden`), 0);
    b.addFieldInt32(12, i32(t.index, `${where}.index`), 0);
    const off = b.endObject();
    this.tensors.set(t, off);
    return off;
  }

  private tensorVector(ts: BmodelTensor[], where: string): Offset {
    return this.tableVector(ts.map((t, i) => this.tensor(t, `${where}[${i}]`)));
  }

  private optionalTensorVector(ts: BmodelTensor[], where: string): Offset {
    return ts.length > 0 ? this.tensorVector(ts, where) : 0;
  }

  /** Binary struct, written inline in the table being built. */
  private binary(slot: number, r: BinaryRange): void {
    this.b.prep(8, 16);
    this.b.writeInt64(BigInt(r.size));
    this.b.writeInt64(BigInt(r.start));
    this.b.addFieldStruct(slot, this.b.offset(), 0);
  }

  private tableVector(offsets: Offset[]): Offset {
    this.b.startVector(4, offsets.length, 4);
    for (let i = offsets.length - 1; i >= 0; i--) this.b.addOffset(offsets[i]);
    return this.b.endVector();
  }

  /** Empty lists are left out (the reader reads an absent vector as empty). */
  private optionalVector(offsets: Offset[]): Offset {
    return offsets.length > 0 ? this.tableVector(offsets) : 0;
  }

  private u64Vector(values: number[], where: string): Offset {
    const big = values.map((v, i) => u64(v, `${where}[${i}]`));
    this.b.startVector(8, big.length, 8);
    for (let i = big.length - 1; i >= 0; i--) this.b.addInt64(big[i]);
    return this.b.endVector();
  }

  private i32Vector(values: number[], where: string): Offset {
    const checked = values.map((v, i) => i32(v, `${where}[${i}]`));
    this.b.startVector(4, checked.length, 4);
    for (let i = checked.length - 1; i >= 0; i--) this.b.addInt32(checked[i]);
    return this.b.endVector();
  }
}

function u64(v: number, where: string): bigint {
  if (!Number.isSafeInteger(v) || v < 0) throw bmodelWriteError(where, `${v} is not an integer in [0, 2^53)`);
  return BigInt(v);
}

/** uint32 fields travel as their int32 bit pattern (the Builder writes int32). */
function u32(v: number, where: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw bmodelWriteError(where, `${v} is not a uint32`);
  return v | 0;
}

function i32(v: number, where: string): number {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw bmodelWriteError(where, `${v} is not an int32`);
  return v;
}

/** Serializes `model` into .bmodel bytes (64-byte header, flatbuffer, binary section). */
export function writeBmodel(model: BmodelModel): Uint8Array {
  const w = new FlatWriter();
  w.b.finish(w.model(model));
  const fb = w.b.asUint8Array();
  const out = new Uint8Array(BMODEL_HEADER_SIZE + fb.length + w.bin.byteLength);
  out.set(encodeHeader({ flatbuffersSize: fb.length, binarySize: w.bin.byteLength }), 0);
  out.set(fb, BMODEL_HEADER_SIZE);
  w.bin.copyTo(out, BMODEL_HEADER_SIZE + fb.length);
  return out;
}
