// Pass manager: passes registered by name with typed options, pipeline strings, a runner with
// verifier, timing and dump instrumentation. Built-in passes register on import.
import { registerBuiltinPasses } from './builtin/index.js';

export {
  registerPass,
  getPass,
  listPasses,
  describePasses,
  type PassDef,
  type PassContext,
  type PassOptions,
  type PassOptionSpec,
  type PassOptionSpecs,
  type PassOptionType,
  type PassOptionValue,
  type OptionValueOf,
} from './pass-registry.js';
export { parsePipeline, formatPipeline, type PipelineStep } from './pipeline-parser.js';
export { runPipeline, type PassTiming, type PipelineEvent, type RunPipelineOptions } from './pipeline-runner.js';
export { formatTimings } from './timing-report.js';
export { closestNames, didYouMean } from './did-you-mean.js';
export { registerBuiltinPasses };
export { fuseRelus } from './builtin/canonicalize.js';

registerBuiltinPasses();
