export { openScorer, runningSearchThreads, ShardedScorer, shardBounds, shardThreads, type SampleThreadOptions, type ShardedScorerOptions } from './shard-pool.js';
