export { runBiasCorrection, type BiasCorrectionOptions, type BiasCorrectionResult, type BiasCorrectionTrial } from './bias-correction.js';
export { channelMeans } from './channel-mean.js';
