/**
 * What an error's message shows of the value it names (src/model/kernel/errors.ts `show`): what the
 * value is, in a bounded length whatever its size. A script of 11,000 syscalls, refused for its length,
 * once gave a message of 170,000 characters, all of them `[object Object]`; later the whole value was
 * written as JSON before the text was cut (seconds for an array of ten million numbers). The message is
 * now made from the start of the value only: checked by counting the reads of a value, and against
 * `JSON.stringify` for the text.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ArgumentError, Session, UnknownHandleError } from '../src/index.ts';

describe('an error shows the value it names, bounded', () => {
  test('a long array: its length and the start of its JSON', () => {
    const m = new ArgumentError('xs', Array.from({ length: 10_000 }, (_, i) => ({ i })), 'fewer').message;
    expect(m.startsWith('argument xs: expected fewer, got an array of 10000 item(s): [{"i":0},{"i":1},')).toBe(true);
    expect(m.length).toBeLessThan(300);
    expect(m).toMatch(/…$/);
  });
  test('a long string: its start and its length', () => {
    const m = new UnknownHandleError('path', 'x'.repeat(5000), 'file').message;
    expect(m).toBe(`argument path: no file "${'x'.repeat(119)}… (5000 characters) in this world`);
  });
  test('an object as JSON, bigints and byte arrays as they are written in the API; a cycle by its tag', () => {
    expect(new ArgumentError('o', { a: 1, b: 2n, c: new Uint8Array(3) }, 'e').message).toBe('argument o: expected e, got {"a":1,"b":"2n","c":"Uint8Array(3)"}');
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(new ArgumentError('o', cyclic, 'e').message).toBe('argument o: expected e, got [object Object]');
    // As JSON.stringify: own properties only, a value's toJSON, an array's holes and functions as null.
    const child = Object.assign(Object.create({ inherited: 1 }) as object, { a: [undefined, () => 1, , NaN], d: new Date(0), f: () => 2 });
    expect(new ArgumentError('o', child, 'e').message).toBe(`argument o: expected e, got ${JSON.stringify(child)}`);
    expect(JSON.stringify(child)).toBe('{"a":[null,null,null,null],"d":"1970-01-01T00:00:00.000Z"}');
  });
  test('a large value is read only as far as the message shows it', () => {
    let reads = 0;
    const big = new Proxy(Array.from({ length: 1_000_000 }, (_, i) => i), {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads += 1;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const m = new ArgumentError('xs', big, 'e').message;
    expect(m).toMatch(/^argument xs: expected e, got an array of 1000000 item\(s\): \[0,1,2,3,.*…$/);
    expect(reads).toBeLessThanOrEqual(121);
    let gets = 0;
    const wide = new Proxy(Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, 'v'.repeat(i % 3)])), {
      get(target, key, receiver) {
        gets += 1;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    expect(new ArgumentError('o', wide, 'e').message).toMatch(/^argument o: expected e, got \{"k0":"","k1":"v","k2":"vv",.*…$/);
    // The value's own toJSON is looked up once, then one read per property shown.
    expect(gets).toBeLessThanOrEqual(122);
    // Properties JSON leaves out are read too, as far as the bound: what follows them is marked as not shown.
    const hidden = Object.fromEntries([...Array.from({ length: 200 }, (_, i) => [`f${i}`, () => i] as const), ['z', 1] as const]);
    expect(new ArgumentError('o', hidden, 'e').message).toBe('argument o: expected e, got {}…');
    const long = { s: 'y'.repeat(10_000_000) };
    expect(new ArgumentError('o', long, 'e').message).toBe(`argument o: expected e, got {"s":"${'y'.repeat(114)}…`);
  });

  test('what it shows is the start of the value\'s JSON (bigints as 1n, byte arrays by their length), whole when it is short', () => {
    const replacer = (_key: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `Uint8Array(${v.length})` : v);
    const leaf = fc.oneof(fc.jsonValue({ maxDepth: 0 }), fc.bigInt(), fc.constant(undefined), fc.constant(new Uint8Array(4)), fc.string({ maxLength: 150 }), fc.double());
    const value = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v'), { maxLength: 30 }), fc.dictionary(fc.string({ maxLength: 6 }), tie('v'), { maxKeys: 30 })),
    })).v;
    fc.assert(fc.property(fc.oneof(fc.array(value, { maxLength: 40 }), fc.dictionary(fc.string({ maxLength: 6 }), value, { maxKeys: 40 })), (v) => {
      const full = JSON.stringify(v, replacer);
      const shown = new ArgumentError('v', v, 'e').message.replace(/^argument v: expected e, got (an array of \d+ item\(s\): )?/, '');
      expect(shown).toBe(full.length <= 120 ? full : `${full.slice(0, 120)}…`);
    }));
  });

  test('scalars as they are', () => {
    expect(new ArgumentError('n', 1.5, 'e').message).toBe('argument n: expected e, got 1.5');
    expect(new ArgumentError('n', undefined, 'e').message).toBe('argument n: expected e, got undefined');
    expect(new ArgumentError('n', 5n, 'e').message).toBe('argument n: expected e, got 5n');
    expect(new ArgumentError('n', () => 1, 'e').message).toBe('argument n: expected e, got a function');
  });
  test('through the API: a script too long for the budget', () => {
    const script = Array.from({ length: 11_000 }, () => ({ sys: 'sleep' as const, ticks: 1 }));
    expect(() => new Session().spawn({ comm: 'x', script })).toThrow(/^argument task\.script: expected at most 10000 items, got an array of 11000 item\(s\): \[\{"sys":"sleep","ticks":1\},.{0,120}…$/);
  });
});
