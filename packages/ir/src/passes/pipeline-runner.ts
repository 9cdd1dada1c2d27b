// Runs a pipeline over a module: the verifier between passes, per-pass wall time, an IR dump
// hook after each pass, progress events. Mirrors MLIR's PassManager instrumentation.
import { UserError, VerifyError, verifyModule, type Module } from '../core/index.js';
import { checkOptionValue, validOptionsHint, withDefaults } from './pass-options.js';
import { getPass, listPasses, type PassContext, type PassDef, type PassOptionValue } from './pass-registry.js';
import { didYouMean } from './did-you-mean.js';
import { parsePipeline, type PipelineStep } from './pipeline-parser.js';

export interface PassTiming {
  /** Pass name, or `verifier` for a verifier run (recorded with `timing: true`). */
  readonly pass: string;
  readonly ms: number;
  readonly kind: 'pass' | 'verifier';
}

export type PipelineEvent =
  | { readonly kind: 'pass-start'; readonly pass: string; readonly index: number; readonly count: number }
  | {
      readonly kind: 'pass-progress';
      readonly pass: string;
      readonly index: number;
      readonly count: number;
      readonly done: number;
      readonly total: number;
    }
  | { readonly kind: 'pass-end'; readonly pass: string; readonly index: number; readonly count: number; readonly ms: number };

export interface RunPipelineOptions {
  /** Verify the input and the module after every pass (default true). */
  readonly verifyEach?: boolean;
  /** Also time the verifier runs, as `verifier` rows (what `--mlir-timing` counts). */
  readonly timing?: boolean;
  /** Called after each pass, before it is verified, so that a broken result can be looked at. */
  readonly dumpAfter?: (passName: string, module: Module) => void;
  readonly onProgress?: (event: PipelineEvent) => void;
}

/** Runs `pipeline` (a string or parsed steps) in place; returns wall time per pass. */
export async function runPipeline(
  module: Module,
  pipeline: string | readonly PipelineStep[],
  options: RunPipelineOptions = {},
): Promise<PassTiming[]> {
  const { verifyEach = true, timing = false, dumpAfter, onProgress } = options;
  // Resolve every step first, so a bad hand-built step fails before any pass has run.
  const steps = (typeof pipeline === 'string' ? parsePipeline(pipeline) : pipeline).map(resolveStep);
  const timings: PassTiming[] = [];

  const verify = (after: string | undefined): void => {
    if (!verifyEach) return;
    const t0 = performance.now();
    try {
      verifyModule(module);
    } catch (e) {
      if (!(e instanceof VerifyError)) throw e;
      const where = after === undefined ? 'input module (before the first pass)' : `after pass '${after}'`;
      throw new VerifyError(`${where}: ${e.message}`, e.hint);
    }
    if (timing) timings.push({ pass: 'verifier', ms: performance.now() - t0, kind: 'verifier' });
  };

  verify(undefined);
  for (const [index, { def, opts }] of steps.entries()) {
    const base = { pass: def.name, index, count: steps.length };
    onProgress?.({ kind: 'pass-start', ...base });
    const ctx: PassContext = {
      pass: def.name,
      progress: (done, total) => onProgress?.({ kind: 'pass-progress', ...base, done, total }),
    };
    const t0 = performance.now();
    try {
      await def.run(module, opts, ctx);
    } catch (e) {
      throw blamePass(def.name, e);
    }
    const ms = performance.now() - t0;
    timings.push({ pass: def.name, ms, kind: 'pass' });
    onProgress?.({ kind: 'pass-end', ...base, ms });
    dumpAfter?.(def.name, module);
    verify(def.name);
  }
  return timings;
}

interface ResolvedStep {
  readonly def: PassDef;
  readonly opts: Record<string, PassOptionValue>;
}

/** Looks up the pass and checks hand-built option values the way the parser checks text. */
function resolveStep(step: PipelineStep): ResolvedStep {
  const def = getPass(step.pass);
  if (!def) {
    const near = didYouMean(step.pass, listPasses().map((d) => d.name));
    const hint = near || 'run `tpu-quant opt --list-passes` to see the passes';
    throw new UserError('E_PIPELINE', `unknown pass "${step.pass}"`, hint);
  }
  const given = step.options ?? {};
  for (const [key, value] of Object.entries(given)) {
    const spec = def.options[key];
    if (!spec) {
      throw new UserError('E_PIPELINE', `unknown option "${key}" for pass "${def.name}"`, validOptionsHint(def));
    }
    const checked = checkOptionValue(spec, value);
    if (!checked.ok) {
      const what = `bad value ${JSON.stringify(value)} for option "${key}" of pass "${def.name}"`;
      throw new UserError('E_PIPELINE', `${what}: expected ${checked.expected}`);
    }
  }
  for (const [key, spec] of Object.entries(def.options)) {
    if (spec.required && !(key in given)) {
      throw new UserError('E_PIPELINE', `pass "${def.name}" needs option "${key}"`, `${key}=<${spec.type}>: ${spec.doc}`);
    }
  }
  return { def, opts: withDefaults(def, given) };
}

/**
 * Says which pass failed. A user error is the same object with the pass named in front (its
 * class, code and hint stay, so `instanceof VerifyError` still holds); a bug keeps its cause.
 */
function blamePass(pass: string, e: unknown): Error {
  if (e instanceof UserError) {
    e.message = `in pass '${pass}': ${e.message}`;
    return e;
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new Error(`pass '${pass}' failed: ${msg}`, { cause: e });
}
