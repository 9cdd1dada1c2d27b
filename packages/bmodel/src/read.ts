// readBmodel: the header, then the flatbuffer through the bounds-checked reader, then every
// Binary range against the binary section and the SHA-256 check codes against their blobs.
import { sha256 } from './binary-section.js';
import { bmodelError } from './errors.js';
import { BMODEL_HEADER_SIZE, decodeHeader } from './header.js';
import type {
  BmodelCmdGroup, BmodelCoeff, BmodelCpuParam, BmodelModel, BmodelModule, BmodelNet, BmodelStage,
  BmodelSubNet, BmodelTensor,
} from './model.js';
import { BMODEL_DATA_TYPES } from './model.js';
import { isProgramSubNet, programFromSubNet } from './program.js';
import { FlatbufferReader, type BinaryStruct, type Table } from './safe-flatbuffer.js';

class ModelReader {
  private readonly checked = new Set<string>();
  /** Bytes hashed so far: capped so that many check codes over one large range cannot stall. */
  private hashed = 0;

  constructor(private readonly binary: Uint8Array) {}

  model(t: Table): BmodelModel {
    const kernel = t.table(6, 'kernel_module');
    const cpuop = t.table(8, 'cpuop_module');
    return {
      type: t.requiredString(0, 'type'),
      version: t.requiredString(1, 'version'),
      time: t.requiredString(2, 'time'),
      chip: t.requiredString(3, 'chip'),
      nets: t.tables(4, 'net', true).map((n) => this.net(n)),
      neuronSize: t.u64(5, 'neuron_size'),
      kernelModule: kernel && this.module(kernel),
      deviceNum: t.u32(7, 'device_num'),
      cpuopModule: cpuop && this.module(cpuop),
      bmodelType: t.u32(9, 'bmodel_type'),
      libBackend: this.optionalBlob(t, 10, 'lib_backend'),
    };
  }

  private module(t: Table): BmodelModule {
    return { fileName: t.requiredString(0, 'file_name'), binary: this.requiredBlob(t, 1, 'binary') };
  }

  private net(t: Table): BmodelNet {
    const c = t.table(4, 'cascade');
    return {
      name: t.requiredString(0, 'name'),
      stages: t.tables(3, 'parameter').map((p) => this.stage(p)),
      cascade: c && { deviceId: c.u32(0, 'device_id'), step: c.u32(1, 'step'), mainName: c.string(2, 'main_name') },
      addrMode: t.i32(5, 'addr_mode'),
    };
  }

  private stage(t: Table): BmodelStage {
    const coeff = t.table(4, 'coeff_mem');
    const subTables = t.tables(12, 'sub_net');
    const subNets = subTables.map((s) => this.subNet(s));
    const programAt = subNets.findIndex(isProgramSubNet);
    const program = programAt < 0 ? undefined : programFromSubNet(subNets[programAt], subTables[programAt].where);
    if (program && subNets.length > 1) {
      throw bmodelError(`${t.where}.sub_net`, 'a stage carrying the tpu-quant program has other subnets too');
    }
    return {
      inputs: t.tables(0, 'input_tensor', true).map((x) => this.tensor(x)),
      outputs: t.tables(1, 'output_tensor', true).map((x) => this.tensor(x)),
      ctxAddr: t.u64(2, 'ctx_addr'),
      ctxSize: t.u64(3, 'ctx_size'),
      coeff: coeff && this.coeff(coeff),
      isDynamic: t.i32(5, 'is_dynamic'),
      nDynamic: t.i32(6, 'n_dynamic'),
      hwDynamic: t.i32(7, 'h_w_dynamic'),
      cmdGroups: t.tables(8, 'cmd_group').map((c) => this.cmdGroup(c)),
      netProfile: this.optionalBlob(t, 9, 'net_profile'),
      binaryIr: this.optionalBlob(t, 11, 'binary_ir'),
      subNets: program ? [] : subNets,
      cpuMemSize: t.u32(13, 'cpu_mem_size'),
      ctxSizes: t.u64s(14, 'ctx_sizes'),
      netStat: this.optionalBlob(t, 15, 'net_stat'),
      coreNum: t.u32(16, 'core_num'),
      ioAddr: t.u64(17, 'io_addr'),
      ioSize: t.u64(18, 'io_size'),
      tensorLoc: this.optionalBlob(t, 19, 'tensor_loc'),
      program,
    };
  }

  private tensor(t: Table): BmodelTensor {
    const code = t.u32(1, 'data_type');
    const dataType = BMODEL_DATA_TYPES[code];
    if (dataType === undefined) throw bmodelError(`${t.where}.data_type`, `unknown data type ${code}`);
    return {
      name: t.requiredString(0, 'name'),
      dataType,
      gmemStmode: t.i32(2, 'gmem_stmode'),
      deviceAddr: t.u64(3, 'device_addr'),
      size: t.u64(4, 'size'),
      shapes: t.tables(5, 'shape').map((s) => s.u64s(0, 'dim')),
      memType: t.u32(6, 'mem_type'),
      scale: t.f32(7, 'scale', 1),
      cpuAddr: t.u32(8, 'cpu_addr'),
      padH: t.u32(9, 'pad_h'),
      zeroPoint: t.i32(10, 'zero_point'),
      hidden: t.i32(11, 'hidden'),
      index: t.i32(12, 'index'),
    };
  }

  private coeff(t: Table): BmodelCoeff {
    const data = this.requiredBlob(t, 2, 'binary_coeff');
    this.checkCode(t, 1, data);
    return {
      address: t.u64(0, 'address'),
      data,
      locations: t.tables(3, 'location').map((l) => ({
        name: l.requiredString(0, 'name'), offset: l.u64(1, 'offset'), size: l.u64(2, 'size'),
      })),
    };
  }

  private cmdGroup(t: Table): BmodelCmdGroup {
    return {
      bdcNum: t.u32(0, 'bdc_num'),
      gdmaNum: t.u32(1, 'gdma_num'),
      bdc: this.optionalBlob(t, 2, 'binary_bdc') ?? new Uint8Array(0),
      gdma: this.optionalBlob(t, 3, 'binary_gdma') ?? new Uint8Array(0),
      bdcCmdByte: t.u32(4, 'bdc_cmd_byte'),
      gdmaCmdByte: t.u32(5, 'gdma_cmd_byte'),
    };
  }

  private subNet(t: Table): BmodelSubNet {
    return {
      mode: t.i32(0, 'subnet_mode'),
      cmdGroups: t.tables(1, 'cmd_group').map((c) => this.cmdGroup(c)),
      cpuParams: t.tables(2, 'cpu_param').map((p) => this.cpuParam(p)),
      inputs: t.tables(3, 'input_tensor').map((x) => this.tensor(x)),
      outputs: t.tables(4, 'output_tensor').map((x) => this.tensor(x)),
      isDynamic: t.i32(5, 'is_dynamic'),
      irOffset: t.u32(6, 'ir_offset'),
      irLen: t.u32(7, 'ir_len'),
      nDynamic: t.i32(8, 'n_dynamic'),
      hwDynamic: t.i32(9, 'h_w_dynamic'),
      id: t.i32(10, 'id', -1),
      nextSubnetIds: t.i32s(11, 'next_subnet_ids'),
    };
  }

  private cpuParam(t: Table): BmodelCpuParam {
    return {
      opType: t.i32(0, 'op_type'),
      param: this.optionalBlob(t, 1, 'binary_param'),
      consts: t.tables(2, 'cpu_const').map((c) => {
        const data = this.optionalBlob(c, 1, 'const_data') ?? new Uint8Array(0);
        this.checkCode(c, 2, data);
        return { name: c.string(0, 'name') ?? '', data };
      }),
      isCustom: t.i32(3, 'is_custom'),
    };
  }

  private optionalBlob(t: Table, slot: number, name: string): Uint8Array | undefined {
    const b = t.binary(slot, name);
    return b && this.slice(b, `${t.where}.${name}`);
  }

  private requiredBlob(t: Table, slot: number, name: string): Uint8Array {
    const b = t.binary(slot, name);
    if (!b) throw bmodelError(`${t.where}.${name}`, 'required field is missing');
    return this.slice(b, `${t.where}.${name}`);
  }

  /** A view of the binary section; Binary ranges are relative to its start. */
  private slice(b: BinaryStruct, where: string): Uint8Array {
    if (b.start + b.size > this.binary.length) {
      throw bmodelError(where, `bytes [${b.start}, ${b.start + b.size}) lie outside the ${this.binary.length}-byte binary section`);
    }
    return this.binary.subarray(b.start, b.start + b.size);
  }

  /** SHA-256 `check_code` (when present) against its blob; each distinct range is hashed once. */
  private checkCode(t: Table, slot: number, data: Uint8Array): void {
    const where = `${t.where}.check_code`;
    const code = t.bytes(slot, 'check_code');
    if (code === undefined || code.length === 0) return;
    if (code.length !== 32) throw bmodelError(where, `is ${code.length} bytes, a SHA-256 has 32`);
    const key = `${data.byteOffset}:${data.length}:${Buffer.from(code).toString('hex')}`;
    if (this.checked.has(key)) return;
    this.hashed += data.length;
    if (this.hashed > 2 * this.binary.length + (1 << 20)) {
      throw bmodelError(where, 'check codes cover the binary section many times over (overlapping ranges)');
    }
    const actual = sha256(data);
    if (!actual.every((v, i) => v === code[i])) {
      throw bmodelError(where, `SHA-256 of the ${data.length}-byte blob does not match (data corrupt)`);
    }
    this.checked.add(key);
  }
}

/**
 * Parses .bmodel bytes. Truncated, inconsistent or hostile files raise UserError E_BMODEL
 * naming what is wrong; blobs in the result are views into `bytes`.
 */
export function readBmodel(bytes: Uint8Array): BmodelModel {
  const h = decodeHeader(bytes);
  const fb = bytes.subarray(BMODEL_HEADER_SIZE, BMODEL_HEADER_SIZE + h.flatbuffersSize);
  const binary = bytes.subarray(BMODEL_HEADER_SIZE + h.flatbuffersSize);
  const reader = new FlatbufferReader(fb);
  return new ModelReader(binary).model(reader.root('model'));
}
