// The passes every build has, registered once when the passes index is first imported.
import { registerCanonicalizePass } from './canonicalize.js';
import { registerDcePass } from './dce.js';
import { registerSetModuleAttrPass } from './set-module-attr.js';
import { registerSortTopologicallyPass } from './sort-topologically.js';
import { registerVerifyPass } from './verify.js';

let registered = false;

export function registerBuiltinPasses(): void {
  if (registered) return;
  registered = true;
  registerVerifyPass();
  registerSortTopologicallyPass();
  registerDcePass();
  registerSetModuleAttrPass();
  registerCanonicalizePass();
}
