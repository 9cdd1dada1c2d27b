// `sort-topologically`: orders every function so producers come before their users (imported
// graphs are not always sorted), keeping the existing order wherever it is already valid.
import { sortTopologically } from '../../core/index.js';
import { registerPass } from '../pass-registry.js';

export function registerSortTopologicallyPass(): void {
  registerPass({
    name: 'sort-topologically',
    summary: 'order the ops of every function so producers come first (stable)',
    options: {},
    run(module) {
      for (const f of module.funcs) sortTopologically(f);
    },
  });
}
