export { runningSearchThreads, ShardedScorer, shardBounds, type ShardedScorerOptions } from './shard-pool.js';
