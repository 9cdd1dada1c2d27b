// The `address-assign` pass (TPU-MLIR's name): assignAddresses on the module; the plan stays
// available through memoryPlanOf(module) for the bmodel writer.
import { getPass, registerPass } from '@tpu-quant/ir';
import { ADDR_MODES } from './addr-modes.js';
import { assignAddresses } from './assign-addresses.js';
import type { AddrMode } from './plan.js';

export function registerAddressAssignPass(): void {
  if (getPass('address-assign')) return;
  registerPass({
    name: 'address-assign',
    summary: 'assign DDR addresses to coefficients and activations (BM168x)',
    options: {
      chip: { type: 'string', default: '', doc: 'processor (default: module.chip)' },
      addr_mode: { type: 'enum', default: 'basic', values: ['auto', ...ADDR_MODES], doc: 'auto (= basic), basic, io_alone, io_tag, io_tag_fuse, io_reloc (spec §6.1)' },
      reuse_addr: { type: 'bool', default: true, doc: 'reuse activation memory by liveness' },
    },
    run: (m, o) => {
      assignAddresses(m, { ...(o.chip ? { chip: o.chip } : {}), addrMode: o.addr_mode as AddrMode | 'auto', reuse: o.reuse_addr });
    },
  });
}
