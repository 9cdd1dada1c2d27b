// The ONNX protobuf codec shared by frontend-onnx (import) and the runtime's ort backend
// (export): ModelProto and TensorProto survive encode/decode, bad bytes are one E_ONNX_PARSE
// line, and the vendored .proto is found from the sources and from the build alike.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ModelProto } from '../src/index.js';
import { decodeOnnxModel, decodeOnnxTensorProto, encodeOnnxModel, OnnxAttrType, OnnxDataType, UserError } from '../src/index.js';

const f32Bytes = (v: number[]): Uint8Array => new Uint8Array(Float32Array.from(v).buffer);

const MODEL: ModelProto = {
  ir_version: 8,
  producer_name: 'tpu-quant',
  opset_import: [{ domain: '', version: 17 }],
  graph: {
    name: 'g',
    node: [{
      op_type: 'Conv', name: 'c', input: ['x', 'w'], output: ['y'],
      attribute: [
        { name: 'pads', type: OnnxAttrType.INTS, ints: [1, 0, -2, 3] },
        { name: 'group', type: OnnxAttrType.INT, i: -(2 ** 40) },
        { name: 'alpha', type: OnnxAttrType.FLOAT, f: 0.5 },
        { name: 'mode', type: OnnxAttrType.STRING, s: new TextEncoder().encode('DCR') },
      ],
    }],
    initializer: [{ name: 'w', dims: [2, 1], data_type: OnnxDataType.FLOAT, raw_data: f32Bytes([1.5, -2]) }],
    input: [{ name: 'x', type: { tensor_type: { elem_type: OnnxDataType.FLOAT, shape: { dim: [{ dim_value: 1 }, { dim_param: 'n' }] } } } }],
    output: [{ name: 'y', type: { tensor_type: { elem_type: OnnxDataType.FLOAT } } }],
  },
};

describe('ONNX protobuf codec', () => {
  it('round-trips a ModelProto: nodes, attributes (int64 too), initializers, value infos', () => {
    const back = decodeOnnxModel(encodeOnnxModel(MODEL), 'm');
    expect(back.ir_version).toBe(8);
    expect(back.opset_import).toEqual([{ version: 17 }]); // proto3 drops the default ''
    const node = back.graph!.node![0]!;
    expect(node).toMatchObject({ op_type: 'Conv', name: 'c', input: ['x', 'w'], output: ['y'] });
    const attrs = Object.fromEntries(node.attribute!.map((a) => [a.name, a]));
    expect(attrs.pads!.ints).toEqual([1, 0, -2, 3]);
    expect(attrs.group!.i).toBe(-(2 ** 40));
    expect(attrs.alpha!.f).toBe(0.5);
    expect(new TextDecoder().decode(attrs.mode!.s)).toBe('DCR');
    const w = back.graph!.initializer![0]!;
    expect(w.dims).toEqual([2, 1]);
    expect(Array.from(new Float32Array(new Uint8Array(w.raw_data!).buffer))).toEqual([1.5, -2]);
    expect(back.graph!.input![0]!.type!.tensor_type!.shape!.dim).toEqual([{ dim_value: 1 }, { dim_param: 'n' }]);
    // and once more: encoding what decoding gives is stable
    expect(encodeOnnxModel(back)).toEqual(encodeOnnxModel(MODEL));
  });

  it('decodes a TensorProto', () => {
    const t = decodeOnnxTensorProto(encodeTensor(), 't.pb');
    expect(t).toMatchObject({ name: 'w', dims: [2, 1], data_type: OnnxDataType.FLOAT });
  });

  it('reports corrupt bytes and graphless models as E_ONNX_PARSE', () => {
    const bytes = encodeOnnxModel(MODEL);
    for (const bad of [bytes.subarray(0, bytes.length - 7), Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f])]) {
      const e = (() => {
        try {
          decodeOnnxModel(bad, 'bad.onnx');
        } catch (x) {
          return x;
        }
        return undefined;
      })();
      expect(e).toBeInstanceOf(UserError);
      expect((e as UserError).code).toBe('E_ONNX_PARSE');
      expect((e as UserError).message).toMatch(/^bad\.onnx is not a valid ONNX model/);
    }
    expect(() => decodeOnnxModel(new Uint8Array(), 'empty.onnx')).toThrow(/empty\.onnx has no graph/);
  });

  it('finds onnx.proto3 where the codec looks for it, from src/ and dist/, and ships it', () => {
    // codec.ts (src/formats/onnx) and codec.js (dist/formats/onnx) resolve the same relative URL
    for (const dir of ['src', 'dist']) {
      const at = new URL(`../${dir}/formats/onnx/codec.js`, import.meta.url);
      expect(existsSync(new URL('../../../src/formats/onnx/onnx.proto3', at)), dir).toBe(true);
    }
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { files: string[]; dependencies: Record<string, string> };
    expect(pkg.files).toContain('src');
    expect(pkg.dependencies.protobufjs).toBeDefined();
  });
});

/** The initializer of MODEL alone, as a serialized TensorProto (through a one-tensor model). */
function encodeTensor(): Uint8Array {
  // a ModelProto whose only content is graph.initializer[0]: field 7 (graph) > field 5 (initializer)
  const model = encodeOnnxModel({ graph: { initializer: MODEL.graph!.initializer } });
  const graph = readField(model, 7);
  return readField(graph, 5);
}

/** The first length-delimited field `field` of a protobuf message (a tiny reader for the test). */
function readField(buf: Uint8Array, field: number): Uint8Array {
  let i = 0;
  const varint = (): number => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = buf[i++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
      shift += 7;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const wire = key & 7;
    if (wire === 2) {
      const len = varint();
      if (key >>> 3 === field) return buf.subarray(i, i + len);
      i += len;
    } else if (wire === 0) varint();
    else if (wire === 5) i += 4;
    else if (wire === 1) i += 8;
    else throw new Error(`wire type ${wire}`);
  }
  throw new Error(`no field ${field}`);
}
