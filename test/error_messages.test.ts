/**
 * What an error's message shows of the value it names (src/model/kernel/errors.ts `show`): what the
 * value is, in a bounded length whatever its size. A script of 11,000 syscalls, refused for its length,
 * once gave a message of 170,000 characters, all of them `[object Object]`.
 */
import { describe, expect, test } from 'vitest';
import { ArgumentError, Session, UnknownHandleError } from '../src/index.ts';

describe('an error shows the value it names, bounded', () => {
  test('a long array: its length and the start of its JSON', () => {
    const m = new ArgumentError('xs', Array.from({ length: 10_000 }, (_, i) => ({ i })), 'fewer').message;
    expect(m.startsWith('argument xs: expected fewer, got an array of 10000 item(s): [{"i":0},{"i":1},')).toBe(true);
    expect(m.length).toBeLessThan(300);
    expect(m).toMatch(/… \(\d+ characters\)$/);
  });
  test('a long string: its start and its length', () => {
    const m = new UnknownHandleError('path', 'x'.repeat(5000), 'file').message;
    expect(m).toBe(`argument path: no file "${'x'.repeat(119)}… (5002 characters) in this world`);
  });
  test('an object as JSON, bigints and byte arrays as they are written in the API; a cycle by its tag', () => {
    expect(new ArgumentError('o', { a: 1, b: 2n, c: new Uint8Array(3) }, 'e').message).toBe('argument o: expected e, got {"a":1,"b":"2n","c":"Uint8Array(3)"}');
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(new ArgumentError('o', cyclic, 'e').message).toBe('argument o: expected e, got [object Object]');
  });
  test('scalars as they are', () => {
    expect(new ArgumentError('n', 1.5, 'e').message).toBe('argument n: expected e, got 1.5');
    expect(new ArgumentError('n', undefined, 'e').message).toBe('argument n: expected e, got undefined');
    expect(new ArgumentError('n', 5n, 'e').message).toBe('argument n: expected e, got 5n');
    expect(new ArgumentError('n', () => 1, 'e').message).toBe('argument n: expected e, got a function');
  });
  test('through the API: a script too long for the budget', () => {
    const script = Array.from({ length: 11_000 }, () => ({ sys: 'sleep' as const, ticks: 1 }));
    expect(() => new Session().spawn({ comm: 'x', script })).toThrow(/^argument task\.script: expected at most 10000 items, got an array of 11000 item\(s\): \[\{"sys":"sleep","ticks":1\},.{0,120}… \(\d+ characters\)$/);
  });
});
