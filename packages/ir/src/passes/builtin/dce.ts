// `dce`: erases ops none of whose results are used, to a fixpoint. Inputs, returns, calls and
// result-less ops stay (core `eraseDeadOps` keeps them); a used `top.None` is live like any op.
// Weight data of erased `top.Weight` ops is dropped too, so it is not written out again.
import { eraseDeadOps, type Module } from '../../core/index.js';
import { registerPass } from '../pass-registry.js';

export function registerDcePass(): void {
  registerPass({
    name: 'dce',
    summary: 'erase ops whose results are all unused (to a fixpoint)',
    options: {},
    run(module, _opts, ctx) {
      const weightsBefore = weightNames(module);
      module.funcs.forEach((f, i) => {
        eraseDeadOps(f);
        ctx.progress(i + 1, module.funcs.length);
      });
      const weightsAfter = weightNames(module);
      // Only data of weights whose op went away: other entries are not ours to judge.
      for (const name of weightsBefore) if (!weightsAfter.has(name)) module.weights.delete(name);
    },
  });
}

function weightNames(module: Module): Set<string> {
  const names = new Set<string>();
  for (const op of module.allOps()) {
    if (op.type === 'top.Weight' && op.name !== undefined) names.add(op.name);
  }
  return names;
}
