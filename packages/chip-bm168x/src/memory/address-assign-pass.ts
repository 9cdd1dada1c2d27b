// The `address-assign` pass (TPU-MLIR's name): assignAddresses on the module; the plan stays
// available through memoryPlanOf(module) for the bmodel writer.
import { getPass, registerPass } from '@tpu-quant/ir';
import { assignAddresses } from './assign-addresses.js';

export function registerAddressAssignPass(): void {
  if (getPass('address-assign')) return;
  registerPass({
    name: 'address-assign',
    summary: 'assign DDR addresses to coefficients and activations (BM168x)',
    options: {
      chip: { type: 'string', default: '', doc: 'processor (default: module.chip)' },
      addr_mode: { type: 'enum', default: 'basic', values: ['basic', 'io_alone'], doc: 'basic: IO in the neuron region; io_alone: IO in its own region' },
      reuse_addr: { type: 'bool', default: true, doc: 'reuse activation memory by liveness' },
    },
    run: (m, o) => {
      assignAddresses(m, { ...(o.chip ? { chip: o.chip } : {}), addrMode: o.addr_mode as 'basic' | 'io_alone', reuse: o.reuse_addr });
    },
  });
}
