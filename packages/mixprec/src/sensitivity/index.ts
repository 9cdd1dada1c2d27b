export { runSensitivitySearch, type SensitivitySearchOptions, type SensitivitySearchResult, type MethodThresholds, type LayerResult, type SearchStats } from './search.js';
export { selectFloatLayers, budgetSearch, pyList, type LayerLoss, type TopGraph, type Selection, type Evaluation, type BudgetResult } from './selection.js';
export { selectCandidates, topLayers, int8Layers, TRANSFORMER_SKIP, type Candidates } from './candidates.js';
export { coneScore, cachedRun, runCompared, comparedNames, asF32, type ConeScore } from './cone-eval.js';
export { SampleEngine, meanInOrder, type SampleScorer, type ScoreStep, type StepResult, type CacheName } from './scorer.js';
