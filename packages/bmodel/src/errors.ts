import { UserError } from '@tpu-quant/ir';

/** A file that is not a readable bmodel: `where` names the header field or flatbuffer path. */
export function bmodelError(where: string, what: string): UserError {
  return new UserError(
    'E_BMODEL',
    `${where}: ${what}`,
    'the file is truncated, corrupt or not a .bmodel; write it again (tpu-quant model_deploy --model x.bmodel)',
  );
}

/** A model the writer cannot represent (a caller's value outside its field's range). */
export function bmodelWriteError(where: string, what: string): UserError {
  return new UserError('E_BMODEL_WRITE', `${where}: ${what}`, 'fix the value before writing the bmodel');
}
