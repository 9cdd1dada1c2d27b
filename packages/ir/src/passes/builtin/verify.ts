// `verify`: checks the module and changes nothing; useful at a chosen point of a pipeline, or
// when the pipeline runs with verifyEach off.
import { verifyModule } from '../../core/index.js';
import { registerPass } from '../pass-registry.js';

export function registerVerifyPass(): void {
  registerPass({
    name: 'verify',
    summary: 'check the IR invariants; change nothing',
    options: {},
    run: (module) => verifyModule(module),
  });
}
