// Option values: text from a pipeline string -> typed value, and defaults filled in.
import type { PassDef, PassOptionSpec, PassOptionValue } from './pass-registry.js';

/** A typed value, or the reason the text does not fit the option's type. */
export type ParsedOption = { ok: true; value: PassOptionValue } | { ok: false; expected: string };

const INT = /^[+-]?(0x[0-9a-f]+|\d+)$/i;

export function parseOptionText(spec: PassOptionSpec, text: string): ParsedOption {
  switch (spec.type) {
    case 'string':
      return { ok: true, value: text };
    case 'int': {
      if (!INT.test(text)) return { ok: false, expected: 'an integer' };
      const neg = text.startsWith('-');
      const value = Number(text.replace(/^[+-]/, '')) * (neg ? -1 : 1);
      return Number.isSafeInteger(value) ? { ok: true, value } : { ok: false, expected: 'an integer below 2^53' };
    }
    case 'float': {
      const value = Number(text);
      // Number('') is 0, so an empty value needs its own check.
      return text.trim() !== '' && Number.isFinite(value) ? { ok: true, value } : { ok: false, expected: 'a number' };
    }
    case 'bool': {
      // The spellings llvm::cl accepts, which tpuc-opt users type.
      const t = text.toLowerCase();
      if (t === 'true' || t === '1') return { ok: true, value: true };
      if (t === 'false' || t === '0') return { ok: true, value: false };
      return { ok: false, expected: 'true or false' };
    }
    case 'enum':
      return spec.values.includes(text) ? { ok: true, value: text } : { ok: false, expected: oneOf(spec.values) };
  }
}

/** Whether an already typed value (from a hand-built step) fits the option. */
export function checkOptionValue(spec: PassOptionSpec, value: unknown): ParsedOption {
  switch (spec.type) {
    case 'string':
      return typeof value === 'string' ? { ok: true, value } : { ok: false, expected: 'a string' };
    case 'int':
      return Number.isSafeInteger(value) ? { ok: true, value: value as number } : { ok: false, expected: 'an integer' };
    case 'float':
      return typeof value === 'number' && Number.isFinite(value) ? { ok: true, value } : { ok: false, expected: 'a number' };
    case 'bool':
      return typeof value === 'boolean' ? { ok: true, value } : { ok: false, expected: 'true or false' };
    case 'enum':
      return typeof value === 'string' && spec.values.includes(value)
        ? { ok: true, value }
        : { ok: false, expected: oneOf(spec.values) };
  }
}

function oneOf(values: readonly string[]): string {
  return `one of ${values.join(', ')}`;
}

/** Given values over the pass's defaults. */
export function withDefaults(
  def: PassDef,
  given: Readonly<Record<string, PassOptionValue>>,
): Record<string, PassOptionValue> {
  const out: Record<string, PassOptionValue> = {};
  for (const [name, spec] of Object.entries(def.options)) out[name] = given[name] ?? spec.default;
  return out;
}

/** `valid options: a, b` or `pass "p" takes no options`. */
export function validOptionsHint(def: PassDef): string {
  const names = Object.keys(def.options);
  return names.length === 0 ? `pass "${def.name}" takes no options` : `valid options of "${def.name}": ${names.join(', ')}`;
}
