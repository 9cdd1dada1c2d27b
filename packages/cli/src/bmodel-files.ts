// .bmodel files for model_deploy, model_runner and the sample programs: a lowered module gets its
// memory plan (address-assign), then goes into the container with its addresses, coefficients and
// our program (the tpu MLIR and its weights); reading one back gives that program as a module.
import { readFile } from 'node:fs/promises';
import { bmodelFromModule, readBmodel, writeBmodel, type BmodelModel, type BmodelTensor } from '@tpu-quant/bmodel';
import { ADDR_MODE_CODE, assignAddresses, type AddrMode, type IoTensor, type MemoryPlan } from '@tpu-quant/chip-bm168x';
import { atomicWriteFile, encodeNpz, parseMlir, printMlir, readNpz, UserError, type Module } from '@tpu-quant/ir';
import { weightReadOptions } from './model-files.js';
import { VERSION } from './version.js';


export interface DeployedBmodelOptions {
  /** `--addr_mode` (default auto = basic); E_ADDR_MODE when the chip cannot do it. */
  readonly addrMode?: AddrMode | 'auto';
}

/**
 * Assigns the module's addresses (it is changed: its tensor types carry them, as TPU-MLIR prints
 * them) and writes `path`; returns the plan and the container written. The net records the
 * address mode (`Net.addr_mode`); IO tensors at IO tags carry the tag address as `device_addr`,
 * which is how the runtime tells them apart (the tag bits); io_alone also fills io_addr/io_size.
 */
export async function writeDeployedBmodel(module: Module, chip: string, path: string, opts: DeployedBmodelOptions = {}): Promise<{ plan: MemoryPlan; bmodel: BmodelModel; bytes: number }> {
  const plan = assignAddresses(module, { chip, ...(opts.addrMode ? { addrMode: opts.addrMode } : {}) });
  const bmodel = bmodelFromModule(module, {
    chip,
    version: `2.2+tpu-quant-${VERSION}`,
    mlir: printMlir(module),
    weights: encodeNpz(module.weights),
  });
  const net = bmodel.nets[0]!;
  net.addrMode = ADDR_MODE_CODE[plan.addrMode];
  const stage = net.stages[0]!;
  const place = (ts: BmodelTensor[], io: readonly IoTensor[]): void => {
    const byName = new Map(io.map((t) => [t.name, t]));
    for (const t of ts) {
      const p = byName.get(t.name);
      if (!p) continue;
      t.deviceAddr = p.addr;
      t.size = p.bytes;
      t.gmemStmode = p.store === '4N' ? 2 : 0;
    }
  };
  place(stage.inputs, plan.inputs);
  place(stage.outputs, plan.outputs);
  stage.ctxAddr = plan.neuron.addr;
  stage.ctxSize = plan.neuron.size;
  stage.ctxSizes = [plan.neuron.size];
  if (plan.io) {
    stage.ioAddr = plan.io.addr;
    stage.ioSize = plan.io.size;
  }
  stage.coeff = {
    address: plan.coeff.addr,
    data: plan.coeff.blob,
    locations: plan.coeff.weights.map((w) => ({ name: w.name, offset: w.offset, size: w.bytes })),
  };
  bmodel.neuronSize = plan.neuron.size;
  const bytes = writeBmodel(bmodel);
  await atomicWriteFile(path, bytes);
  return { plan, bmodel, bytes: bytes.length };
}

/** The program of a .bmodel written by tpu-quant (first net, first stage), as a module with its weights. */
export async function loadBmodelProgram(path: string): Promise<Module> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch {
    throw new UserError('E_MODEL', `model ${path} does not exist or cannot be read`, 'give the .bmodel model_deploy wrote');
  }
  const model = readBmodel(bytes);
  const program = model.nets[0]?.stages[0]?.program;
  if (!program) {
    throw new UserError('E_BMODEL', `${path} holds no tpu-quant program (it was not written by tpu-quant, so only a real TPU can run it)`, 'run a .bmodel made by tpu-quant model_deploy, or the .mlir it was made from');
  }
  const module = parseMlir(program.mlir, `${path}#program`);
  module.weights = readNpz(program.weights, weightReadOptions(module));
  return module;
}
