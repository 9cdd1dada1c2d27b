// Global (DDR) memory planning for the BM168x processors (spec deploy.md §6.1, §6.4).
export { assignAddresses, memoryPlanOf } from './assign-addresses.js';
export type { AssignAddressesOptions } from './assign-addresses.js';
export { checkMemoryPlan } from './check-plan.js';
export { fitFirstAssign, opSizeOrderAssign, assignBuffers } from './allocators.js';
export type { Allocation, Buffer as LiveBuffer } from './allocators.js';
export { addressOf, gmemBytes } from './gmem-bytes.js';
export { ADDR_MODE_CODE, ALWAYS_LIVE_END } from './plan.js';
export type { AddrMode, AllocatorName, CoeffPlacement, CoeffPlan, IoTagRegion, IoTensor, LiveRange, MemoryPlan, Region, ValuePlacement } from './plan.js';
export { ADDR_MODES, resolveAddrMode, supportedAddrModes } from './addr-modes.js';
export { fusibleSliceOffset } from './slice-in-place.js';
export { registerAddressAssignPass } from './address-assign-pass.js';
