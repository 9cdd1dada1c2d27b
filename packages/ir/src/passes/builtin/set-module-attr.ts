// `set-module-attr{name=module.state value=TOP_CALIBRATED}`: sets a string module attribute,
// to reproduce a state transition (or a chip assignment) by hand in a pipeline.
import { UserError, stringAttr } from '../../core/index.js';
import { registerPass } from '../pass-registry.js';

export function registerSetModuleAttrPass(): void {
  registerPass({
    name: 'set-module-attr',
    summary: 'set a string module attribute (e.g. module.state)',
    options: {
      name: { type: 'string', default: '', required: true, doc: 'attribute name, e.g. module.state' },
      value: { type: 'string', default: '', doc: 'string value to set' },
    },
    run(module, opts) {
      if (opts.name === '') {
        throw new UserError('E_PIPELINE', 'set-module-attr: option "name" is empty', 'give name=<attribute>, e.g. name=module.state');
      }
      module.attrs.set(opts.name, stringAttr(opts.value));
    },
  });
}
