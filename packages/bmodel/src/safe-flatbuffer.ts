// A bounds-checked flatbuffer table reader. The `flatbuffers` JS library trusts its input (no
// verifier), so bmodel reading goes through this instead: every offset, vtable, vector and
// string is checked against the buffer before use, and a budget proportional to the buffer's
// size caps what reading may materialize (tables reached through shared offsets could
// otherwise make a small file expand into gigabytes). Errors name the schema path.
import { bmodelError } from './errors.js';

const MAX_DEPTH = 32;

export interface BinaryStruct {
  start: number;
  size: number;
}

export class FlatbufferReader {
  readonly view: DataView;
  readonly length: number;
  private budget: number;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.length = bytes.length;
    // Legitimate files spend at most ~2x their size (tensor tables shared between a stage and
    // its program subnet are read twice); anything past 4x comes from reused offsets.
    this.budget = 4 * bytes.length + 4096;
  }

  root(name: string): Table {
    if (this.length < 4) throw bmodelError(name, 'flatbuffer shorter than its root offset');
    return this.tableAt(this.view.getUint32(0, true), name, 0);
  }

  spend(units: number, where: string): void {
    this.budget -= units;
    if (this.budget < 0) {
      throw bmodelError(where, 'the flatbuffer references far more data than it holds (offsets reused to inflate it)');
    }
  }

  tableAt(pos: number, where: string, depth: number): Table {
    if (depth > MAX_DEPTH) throw bmodelError(where, `tables nested deeper than ${MAX_DEPTH}`);
    this.spend(4, where);
    if (pos + 4 > this.length) throw bmodelError(where, `table at ${pos} lies outside the ${this.length}-byte flatbuffer`);
    const vtable = pos - this.view.getInt32(pos, true);
    if (vtable < 0 || vtable + 4 > this.length) throw bmodelError(where, `vtable at ${vtable} lies outside the flatbuffer`);
    const vsize = this.view.getUint16(vtable, true);
    const tsize = this.view.getUint16(vtable + 2, true);
    if (vsize < 4 || vsize % 2 !== 0 || vtable + vsize > this.length) throw bmodelError(where, `bad vtable size ${vsize} at ${vtable}`);
    if (tsize < 4 || pos + tsize > this.length) throw bmodelError(where, `table of ${tsize} bytes at ${pos} runs past the flatbuffer end`);
    return new Table(this, pos, vtable, vsize, tsize, where, depth);
  }

  /** Follows the uoffset stored at `at`. */
  deref(at: number, where: string): number {
    const target = at + this.view.getUint32(at, true);
    if (target + 4 > this.length) throw bmodelError(where, `offset ${target} lies outside the ${this.length}-byte flatbuffer`);
    return target;
  }

  /** Checks a vector header at `pos`; returns its element count. */
  vectorLength(pos: number, elemSize: number, where: string): number {
    const n = this.view.getUint32(pos, true);
    if (pos + 4 + n * elemSize > this.length) {
      throw bmodelError(where, `vector of ${n} elements at ${pos} runs past the ${this.length}-byte flatbuffer`);
    }
    return n;
  }

  u64At(pos: number, where: string): number {
    const lo = this.view.getUint32(pos, true);
    const hi = this.view.getUint32(pos + 4, true);
    if (hi >= 0x200000) throw bmodelError(where, 'value does not fit in 2^53');
    return hi * 0x100000000 + lo;
  }
}

export class Table {
  constructor(
    private readonly r: FlatbufferReader,
    private readonly pos: number,
    private readonly vtable: number,
    private readonly vsize: number,
    private readonly tsize: number,
    readonly where: string,
    private readonly depth: number,
  ) {}

  /** Absolute position of a field of `size` bytes, or undefined when absent. */
  private field(slot: number, size: number, name: string): number | undefined {
    const vo = 4 + 2 * slot;
    if (vo + 2 > this.vsize) return undefined;
    const off = this.r.view.getUint16(this.vtable + vo, true);
    if (off === 0) return undefined;
    if (off < 4 || off + size > this.tsize) throw bmodelError(`${this.where}.${name}`, `field lies outside its ${this.tsize}-byte table`);
    return this.pos + off;
  }

  u32(slot: number, name: string, dflt = 0): number {
    const p = this.field(slot, 4, name);
    return p === undefined ? dflt : this.r.view.getUint32(p, true);
  }

  i32(slot: number, name: string, dflt = 0): number {
    const p = this.field(slot, 4, name);
    return p === undefined ? dflt : this.r.view.getInt32(p, true);
  }

  f32(slot: number, name: string, dflt = 0): number {
    const p = this.field(slot, 4, name);
    return p === undefined ? dflt : this.r.view.getFloat32(p, true);
  }

  u64(slot: number, name: string, dflt = 0): number {
    const p = this.field(slot, 8, name);
    return p === undefined ? dflt : this.r.u64At(p, `${this.where}.${name}`);
  }

  /** An inline `Binary {start: u64, size: u64}` struct. */
  binary(slot: number, name: string): BinaryStruct | undefined {
    const p = this.field(slot, 16, name);
    if (p === undefined) return undefined;
    const where = `${this.where}.${name}`;
    return { start: this.r.u64At(p, `${where}.start`), size: this.r.u64At(p + 8, `${where}.size`) };
  }

  string(slot: number, name: string): string | undefined {
    const p = this.field(slot, 4, name);
    if (p === undefined) return undefined;
    const where = `${this.where}.${name}`;
    const at = this.r.deref(p, where);
    const n = this.r.vectorLength(at, 1, where);
    if (at + 4 + n >= this.r.length || this.r.bytes[at + 4 + n] !== 0) throw bmodelError(where, 'string lacks its terminating zero byte');
    this.r.spend(n, where);
    try {
      return UTF8.decode(this.r.bytes.subarray(at + 4, at + 4 + n));
    } catch {
      throw bmodelError(where, 'string is not valid UTF-8');
    }
  }

  requiredString(slot: number, name: string): string {
    const s = this.string(slot, name);
    if (s === undefined) throw bmodelError(`${this.where}.${name}`, 'required field is missing');
    return s;
  }

  table(slot: number, name: string): Table | undefined {
    const p = this.field(slot, 4, name);
    if (p === undefined) return undefined;
    const where = `${this.where}.${name}`;
    return this.r.tableAt(this.r.deref(p, where), where, this.depth + 1);
  }

  /** A vector of tables; absent reads as empty unless `required`. */
  tables(slot: number, name: string, required = false): Table[] {
    const at = this.vector(slot, name, required);
    if (at === undefined) return [];
    const n = this.r.vectorLength(at, 4, `${this.where}.${name}`);
    const out: Table[] = [];
    for (let i = 0; i < n; i++) {
      const where = `${this.where}.${name}[${i}]`;
      out.push(this.r.tableAt(this.r.deref(at + 4 + 4 * i, where), where, this.depth + 1));
    }
    return out;
  }

  u64s(slot: number, name: string): number[] {
    const at = this.vector(slot, name);
    if (at === undefined) return [];
    const where = `${this.where}.${name}`;
    const n = this.r.vectorLength(at, 8, where);
    this.r.spend(n, where);
    return Array.from({ length: n }, (_, i) => this.r.u64At(at + 4 + 8 * i, `${where}[${i}]`));
  }

  i32s(slot: number, name: string): number[] {
    const at = this.vector(slot, name);
    if (at === undefined) return [];
    const where = `${this.where}.${name}`;
    const n = this.r.vectorLength(at, 4, where);
    this.r.spend(n, where);
    return Array.from({ length: n }, (_, i) => this.r.view.getInt32(at + 4 + 4 * i, true));
  }

  /** A [uint8] vector, as a view into the buffer. */
  bytes(slot: number, name: string): Uint8Array | undefined {
    const at = this.vector(slot, name);
    if (at === undefined) return undefined;
    const n = this.r.vectorLength(at, 1, `${this.where}.${name}`);
    this.r.spend(1, this.where);
    return this.r.bytes.subarray(at + 4, at + 4 + n);
  }

  private vector(slot: number, name: string, required = false): number | undefined {
    const p = this.field(slot, 4, name);
    const where = `${this.where}.${name}`;
    if (p === undefined) {
      if (required) throw bmodelError(where, 'required field is missing');
      return undefined;
    }
    return this.r.deref(p, where);
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
