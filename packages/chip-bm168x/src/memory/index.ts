// Global (DDR) memory planning for the BM168x processors (spec deploy.md §6.1, §6.4).
export { assignAddresses, memoryPlanOf } from './assign-addresses.js';
export type { AssignAddressesOptions } from './assign-addresses.js';
export { checkMemoryPlan } from './check-plan.js';
export { fitFirstAssign, opSizeOrderAssign, assignBuffers } from './allocators.js';
export type { Allocation, Buffer as LiveBuffer } from './allocators.js';
export { addressOf, gmemBytes } from './gmem-bytes.js';
export { ALWAYS_LIVE_END } from './plan.js';
export type { AddrMode, AllocatorName, CoeffPlacement, CoeffPlan, IoTensor, LiveRange, MemoryPlan, Region, ValuePlacement } from './plan.js';
export { registerAddressAssignPass } from './address-assign-pass.js';
