export { openScorer, runningSearchThreads, ShardedScorer, shardBounds, shardThreads, type ShardedScorerOptions } from './shard-pool.js';
