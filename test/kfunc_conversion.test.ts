/**
 * How a kfunc's arguments are converted (model/kfunc/kfunc.ts): `defineKfunc` gives a definition a
 * plan, one conversion per argument, which the call path switches on. A definition made without
 * `defineKfunc` (a copy, `{ ...def }`) has none and is converted by one made for the call: the two
 * must agree on every kfunc, for accepted arguments (the same return values, bytes and trace) and for
 * refused ones (the same error, naming the same argument).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ArgumentError, content, NON_SLEEPABLE, Session, formatTrace, type World } from '../src/index.ts';
import { invoke, type AnyKfunc } from '../src/model/kfunc/kfunc.ts';
import { kfuncDef } from '../src/model/kfunc/registry.ts';
import { begin, end } from '../src/model/world/world.ts';
import { settle } from '../src/task_work/settle.ts';

/** One call of `def` on `world` (as the pure functions make it): the new world, the return value or the error thrown. */
function callWith(world: World, def: AnyKfunc, args: unknown[]): { world: World | null; ret: unknown; error: unknown } {
  const k = begin(world, NON_SLEEPABLE);
  try {
    const ret = invoke(k, def, [...args]);
    settle(k);
    return { world: end(k), ret, error: null };
  } catch (e) {
    return { world: null, ret: undefined, error: e };
  }
}

function fileWorld(): World {
  const s = new Session();
  s.createFile({ path: '/f', content: content.pattern(5), size: 3 * 4096 + 100 });
  s.populate('/f');
  expect(s.bpf_dynptr_from_file(s.open('/f'), 0, 'd')).toBe(0);
  expect(s.bpf_dynptr_from_mem(new Uint8Array(64), 64, 0, 'm')).toBe(0);
  return s.world;
}

const def = (name: string): AnyKfunc => {
  const d = kfuncDef(name);
  if (d === undefined) throw new Error(`no kfunc ${name}`);
  return d;
};

/** An integer argument as a caller may pass it: a number (exact or not, in range or not) or a bigint, or something that is not one. */
const anyInt = fc.oneof(
  fc.integer({ min: 0, max: 5000 }),
  fc.integer({ min: -5, max: 5 }),
  fc.constantFrom(4095, 4096, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 16, 2 ** 53, 4095.5, 2 ** 32 - 0.5, -0, Number.NaN, Number.POSITIVE_INFINITY),
  fc.bigInt({ min: -3n, max: 2n ** 64n + 3n }),
  fc.constantFrom<unknown>('16', null, undefined, true),
);

describe('a definition without a plan converts as the one defineKfunc made', () => {
  test('bpf_dynptr_read and bpf_dynptr_write: integers, slots and memory, accepted or refused alike', () => {
    const w0 = fileWorld();
    const slot = fc.oneof({ arbitrary: fc.constantFrom<unknown>('d', 'm'), weight: 4 }, { arbitrary: fc.constantFrom<unknown>('nope', '', 7, null), weight: 1 });
    const mem = fc.oneof({ arbitrary: fc.constant('buf'), weight: 4 }, { arbitrary: fc.constantFrom('null', 'string', 'array'), weight: 1 });
    // Lengths, offsets and flags mostly a call accepts (a 32-byte buffer, a file of 12,388 bytes, flags 0), else anything.
    const len = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 40 }), weight: 3 }, { arbitrary: anyInt, weight: 1 });
    const off = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 3 * 4096 + 120 }), weight: 3 }, { arbitrary: anyInt, weight: 1 });
    const flags = fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: anyInt, weight: 1 });
    let accepted = 0;
    let runs = 0;
    fc.assert(fc.property(fc.constantFrom('bpf_dynptr_read', 'bpf_dynptr_write'), mem, len, slot, off, flags, (name, m, len, d, off, flags) => {
      runs += 1;
      const original = def(name);
      const copy = { ...original } as AnyKfunc;
      const buf = (): unknown => (m === 'buf' ? new Uint8Array(32) : m === 'null' ? null : m === 'string' ? 'x' : [1, 2]);
      const argsOf = (b: unknown): unknown[] => (name === 'bpf_dynptr_read' ? [b, len, d, off, flags] : [d, off, b, len, flags]);
      const b1 = buf();
      const b2 = buf();
      const a = callWith(w0, original, argsOf(b1));
      const b = callWith(w0, copy, argsOf(b2));
      if (a.error !== null) {
        expect(b.error).toBeInstanceOf((a.error as object).constructor as new () => unknown);
        expect((b.error as Error).message).toBe((a.error as Error).message);
        if (a.error instanceof ArgumentError) expect((b.error as ArgumentError).argument).toBe(a.error.argument);
        return;
      }
      expect(b.error).toBeNull();
      expect(b.ret).toBe(a.ret);
      accepted += 1;
      expect(b2).toEqual(b1);
      expect(formatTrace((b.world as World).trace)).toBe(formatTrace((a.world as World).trace));
    }), { numRuns: 300 });
    // Calls the kfunc carried out, not only arguments refused: a fifth of them at least.
    expect(accepted).toBeGreaterThan(runs / 5);
  });

  test('kfuncs and helpers of each kind of argument (slots, integers, memory, maps, strings): the same error for a wrong argument count and for an argument of the wrong kind', () => {
    const w0 = fileWorld();
    let checked = 0;
    for (const name of ['bpf_dynptr_size', 'bpf_dynptr_adjust', 'bpf_dynptr_is_null', 'bpf_dynptr_slice', 'bpf_dynptr_from_mem', 'bpf_dynptr_file_discard', 'bpf_map_lookup_elem', 'bpf_strtol']) {
      const original = def(name);
      checked += 1;
      const copy = { ...original } as AnyKfunc;
      for (const args of [[], original.args.map(() => Symbol('not an argument'))]) {
        const a = callWith(w0, original, args);
        const b = callWith(w0, copy, args);
        expect(a.error, `${name}(${args.length} arguments)`).not.toBeNull();
        expect((b.error as Error).message).toBe((a.error as Error).message);
      }
    }
    expect(checked).toBe(8);
  });
});

describe('integers: the values a number converts to without a bigint of its own', () => {
  test('the bounds of the small values kept once, and of u32', () => {
    const s = new Session();
    const buf = new Uint8Array(8);
    expect(s.bpf_dynptr_from_mem(buf, 8, 0, 'd')).toBe(0);
    // bpf_dynptr_adjust(d, start, end): u64 start and end; past the size is -ERANGE, start > end -EINVAL.
    expect(s.bpf_dynptr_adjust('d', 4095, 4096)).toBe(-34);
    expect(s.bpf_dynptr_adjust('d', 4096, 4095)).toBe(-22);
    expect(s.bpf_dynptr_adjust('d', 2, 6)).toBe(0);
    expect(s.bpf_dynptr_size('d')).toBe(4n);
  });
});
