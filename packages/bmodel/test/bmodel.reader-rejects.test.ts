import { describe, expect, it } from 'vitest';
import { isUserError } from '@tpu-quant/ir';
import { readBmodel, writeBmodel } from '@tpu-quant/bmodel';
import { inflatedModel, modelMissingChip, modelWithTensorType, wrap } from './hostile.js';
import { programModel } from './sample-model.js';

/** The E_BMODEL message readBmodel throws for `bytes` (fails the test on success or another error). */
function rejection(bytes: Uint8Array): string {
  try {
    readBmodel(bytes);
  } catch (e) {
    if (isUserError(e) && e.code === 'E_BMODEL') return e.message;
    throw e;
  }
  throw new Error('readBmodel accepted the file');
}

const valid = () => writeBmodel(programModel());
const sizes = (b: Uint8Array) => {
  const v = new DataView(b.buffer, b.byteOffset);
  return { fb: v.getUint32(8, true), bin: v.getUint32(12, true) };
};

describe('readBmodel rejects with E_BMODEL naming the problem', () => {
  it('files that are not bmodels', () => {
    expect(rejection(new Uint8Array(0))).toMatch(/not a bmodel \(only 0 bytes/);
    expect(rejection(new TextEncoder().encode('module @m {\n}\n'))).toMatch(/not a bmodel \(magic 0x[0-9a-f]{8}/);
  });

  it('truncated and padded files', () => {
    const b = valid();
    expect(rejection(b.subarray(0, 40))).toMatch(/shorter than the 64-byte header/);
    expect(rejection(b.subarray(0, b.length - 1))).toMatch(new RegExp(`file has ${b.length - 1} \\(truncated\\)`));
    const longer = new Uint8Array(b.length + 3);
    longer.set(b);
    expect(rejection(longer)).toMatch(/the file has 3 more/);
  });

  it('a header size other than 64', () => {
    const b = valid();
    new DataView(b.buffer).setUint32(4, 32, true);
    expect(rejection(b)).toMatch(/header\.header_size: is 32, expected 64/);
  });

  it('a coeff blob that does not match its SHA-256', () => {
    const b = valid();
    const { fb } = sizes(b);
    b[64 + fb + 10] ^= 0x01; // the coeff blob is the first one in the binary section
    expect(rejection(b)).toMatch(/parameter\[0\]\.coeff_mem\.check_code: SHA-256 of the 256-byte blob does not match/);
  });

  it('a program blob that does not match its SHA-256', () => {
    const b = valid();
    b[b.length - 1] ^= 0x80; // the weights npz is the last blob
    expect(rejection(b)).toMatch(/sub_net\[0\]\.cpu_param\[0\]\.cpu_const\[1\]\.check_code/);
  });

  it('a Binary range outside the binary section', () => {
    const b = valid();
    const { bin } = sizes(b);
    const cut = b.slice(0, b.length - 10);
    new DataView(cut.buffer).setUint32(12, bin - 10, true);
    expect(rejection(cut)).toMatch(/const_data: bytes \[\d+, \d+\) lie outside the \d+-byte binary section/);
  });

  it('a missing required field and an unknown data type', () => {
    expect(rejection(modelMissingChip())).toMatch(/^model\.chip: required field is missing/);
    expect(rejection(modelWithTensorType(77))).toMatch(/model\.net\[0\]\.parameter\[0\]\.input_tensor\[0\]\.data_type: unknown data type 77/);
  });

  it('a string that is not UTF-8', () => {
    const b = valid();
    const name = new TextEncoder().encode('mobilenet_v2');
    const at = Buffer.from(b).indexOf(Buffer.from(name));
    b[at] = 0xff;
    expect(rejection(b)).toMatch(/model\.net\[0\]\.name: string is not valid UTF-8/);
  });

  it('offsets reused to inflate a small file (bounded time and memory)', () => {
    const bytes = inflatedModel(5000, 5000, 1000); // naive reading: 2.5e10 numbers
    expect(bytes.length).toBeLessThan(100_000);
    const t0 = performance.now();
    expect(rejection(bytes)).toMatch(/references far more data than it holds/);
    expect(performance.now() - t0).toBeLessThan(2000);
    // The same shape, small enough to be honest, reads.
    expect(readBmodel(inflatedModel(1, 2, 3)).nets[0].stages[0].inputs[1].shapes).toEqual([[1, 1, 1]]);
  });

  it('an offset that points outside the flatbuffer', () => {
    const fb = new Uint8Array(16);
    new DataView(fb.buffer).setUint32(0, 1000, true);
    expect(rejection(wrap(fb))).toMatch(/^model: table at 1000 lies outside the 16-byte flatbuffer/);
  });
});
