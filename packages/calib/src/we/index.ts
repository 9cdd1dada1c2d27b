// Cross-layer weight equalization (`--we`).
export { channelScale, equalizeWeights, findEqualizationPairs } from './weight-equalization.js';
export type { EqualizationPair, EqualizationResult } from './weight-equalization.js';
