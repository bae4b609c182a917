/**
 * C integer conversions (toU32/toU64: modulo 2^bits, as C converts to an unsigned type) and the
 * TypeScript-misuse errors: ArgumentError names the argument and the value it got;
 * UnknownHandleError for a handle that names nothing (an uninitialized dynptr slot, an unknown file).
 */
import { describe, expect, test } from 'vitest';
import {
  ArgumentError, content, KernsimError, S64_MAX, Session, toU32, toU64, U32_MAX, U64_MAX, UnknownHandleError,
} from '../src/index.ts';
import { errnoAsUnsigned } from '../src/model/kernel/ctypes.ts';

/** Call a session kfunc with arguments its TypeScript signature would refuse. */
function callRaw(s: Session, name: string, ...args: unknown[]): unknown {
  const fn = (s as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
  if (fn === undefined) throw new Error(`no kfunc ${name}`);
  return fn(...args);
}

/** The thrown error, for inspecting its fields. */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

function withLocal(n = 8): Session {
  const s = new Session();
  expect(s.bpf_dynptr_from_mem(new Uint8Array(n), n, 0, 'd')).toBe(0);
  return s;
}

describe('constants', () => {
  test('U32_MAX, U64_MAX, S64_MAX', () => {
    expect(U32_MAX).toBe(2n ** 32n - 1n);
    expect(U64_MAX).toBe(2n ** 64n - 1n);
    expect(S64_MAX).toBe(2n ** 63n - 1n);
  });
});

describe('toU32', () => {
  test.each<[number | bigint, bigint]>([
    [0, 0n],
    [1, 1n],
    [4095, 4095n],
    [4096, 4096n],
    [2 ** 31, 2147483648n],
    [0xffffffff, 4294967295n],
    [2 ** 32, 0n],
    [2 ** 32 + 1, 1n],
    [-1, 4294967295n],
    [-22, 4294967274n],
    [-(2 ** 31), 2147483648n],
    [2n ** 64n + 7n, 7n],
    [-1n, 4294967295n],
    [Number.MAX_SAFE_INTEGER, BigInt(Number.MAX_SAFE_INTEGER) % 2n ** 32n],
  ])('toU32(%s) = %s', (input, out) => {
    expect(toU32(input, 'x')).toBe(out);
  });
});

describe('toU64', () => {
  test.each<[number | bigint, bigint]>([
    [0, 0n],
    [2 ** 32 + 1, 4294967297n],
    [-1, 2n ** 64n - 1n],
    [-22, 2n ** 64n - 22n],
    [-1n, 2n ** 64n - 1n],
    [2n ** 64n, 0n],
    [2n ** 64n + 5n, 5n],
    [-(2n ** 64n), 0n],
    [2n ** 63n, 2n ** 63n],
    [Number.MIN_SAFE_INTEGER, 2n ** 64n - BigInt(Number.MAX_SAFE_INTEGER)],
  ])('toU64(%s) = %s', (input, out) => {
    expect(toU64(input, 'x')).toBe(out);
  });

  test('-0 converts to 0', () => {
    expect(toU64(-0, 'x')).toBe(0n);
  });
});

describe('toU32/toU64 refuse non-integers, naming the argument and the value', () => {
  test.each<[unknown, string]>([
    [1.5, '1.5'],
    [4095.5, '4095.5'],
    [2 ** 32 - 0.5, '4294967295.5'],
    [-0.5, '-0.5'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    ['8', '"8"'],
    [true, 'true'],
    [null, 'null'],
    [undefined, 'undefined'],
  ])('%s', (value, shown) => {
    for (const conv of [toU32, toU64]) {
      const e = thrown(() => conv(value, 'len'));
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e).toBeInstanceOf(KernsimError);
      const ae = e as ArgumentError;
      expect(ae.argument).toBe('len');
      expect(Object.is(ae.value, value)).toBe(true);
      expect(ae.message).toContain('argument len');
      expect(ae.message).toContain(shown);
    }
  });

  test('a number beyond 2^53 is refused (not exact); the same value as a bigint is accepted', () => {
    const e = thrown(() => toU64(2 ** 53, 'offset'));
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).argument).toBe('offset');
    expect(toU64(2n ** 53n, 'offset')).toBe(2n ** 53n);
    expect(toU64(Number.MAX_SAFE_INTEGER, 'offset')).toBe(2n ** 53n - 1n);
  });
});

describe('errnoAsUnsigned', () => {
  test('-EINVAL as u32 and u64', () => {
    expect(errnoAsUnsigned(-22, 32)).toBe(4294967274n);
    expect(errnoAsUnsigned(-22, 64)).toBe(2n ** 64n - 22n);
  });
});

describe('ArgumentError from kfunc calls', () => {
  test('a fractional length names the argument and the value', () => {
    const s = withLocal();
    const e = thrown(() => s.bpf_dynptr_read(new Uint8Array(8), 1.5, 'd', 0, 0));
    expect(e).toBeInstanceOf(ArgumentError);
    const ae = e as ArgumentError;
    expect(ae.argument).toBe('len');
    expect(ae.value).toBe(1.5);
    expect(ae.message).toMatch(/argument len\b.*1\.5/);
  });

  test('a fractional offset / start / end / size names each argument', () => {
    const s = withLocal();
    const cases: [() => unknown, string, number][] = [
      [() => s.bpf_dynptr_read(new Uint8Array(8), 1, 'd', 0.25, 0), 'offset', 0.25],
      [() => s.bpf_dynptr_adjust('d', 0.5, 2), 'start', 0.5],
      [() => s.bpf_dynptr_adjust('d', 0, 2.5), 'end', 2.5],
      [() => s.bpf_dynptr_from_mem(new Uint8Array(8), 7.5, 0, 'e'), 'size', 7.5],
      [() => s.bpf_dynptr_write('d', 0, new Uint8Array(1), 0.1, 0), 'len', 0.1],
      [() => s.bpf_dynptr_read(new Uint8Array(8), 1, 'd', 0, 0.5), 'flags', 0.5],
    ];
    for (const [f, arg, value] of cases) {
      const e = thrown(f);
      expect(e).toBeInstanceOf(ArgumentError);
      expect((e as ArgumentError).argument).toBe(arg);
      expect((e as ArgumentError).value).toBe(value);
      expect((e as ArgumentError).message).toContain(String(value));
    }
  });

  test('a string where an integer is expected', () => {
    const s = withLocal();
    const e = thrown(() => callRaw(s, 'bpf_dynptr_read', new Uint8Array(8), '8', 'd', 0, 0));
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).argument).toBe('len');
    expect((e as ArgumentError).value).toBe('8');
    expect((e as ArgumentError).message).toContain('"8"');
  });

  test('a number where a dynptr slot name is expected', () => {
    const s = withLocal();
    const e = thrown(() => callRaw(s, 'bpf_dynptr_size', 3));
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).argument).toBe('p');
    expect((e as ArgumentError).value).toBe(3);
  });

  test('an empty slot name is refused', () => {
    const s = withLocal();
    const e = thrown(() => s.bpf_dynptr_is_null(''));
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).argument).toBe('p');
  });

  test('an array where a Uint8Array is expected', () => {
    const s = withLocal();
    const e = thrown(() => callRaw(s, 'bpf_dynptr_read', [0, 0], 2, 'd', 0, 0));
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).argument).toBe('dst');
  });

  test('null where a (non-nullable) memory argument is expected', () => {
    const s = new Session();
    const e = thrown(() => callRaw(s, 'bpf_dynptr_from_mem', null, 0, 0, 'd'));
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).argument).toBe('data');
  });

  test('a string where a file handle is expected', () => {
    const s = new Session();
    const e = thrown(() => callRaw(s, 'bpf_dynptr_from_file', '/f', 0, 'd'));
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).argument).toBe('file');
    expect((e as ArgumentError).value).toBe('/f');
  });

  test('a wrong argument count is refused', () => {
    const s = withLocal();
    expect(() => callRaw(s, 'bpf_dynptr_read', new Uint8Array(8), 1, 'd', 0)).toThrow(ArgumentError);
    expect(() => callRaw(s, 'bpf_dynptr_size', 'd', 0)).toThrow(ArgumentError);
  });

  test('a destination smaller than len is refused (the verifier pairs them)', () => {
    const s = withLocal();
    const e = thrown(() => s.bpf_dynptr_read(new Uint8Array(2), 4, 'd', 0, 0));
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).argument).toBe('dst');
  });

  test('from_mem over memory smaller than size is refused', () => {
    const s = new Session();
    const e = thrown(() => s.bpf_dynptr_from_mem(new Uint8Array(4), 8, 0, 'd'));
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).argument).toBe('data');
  });

  test('a NULL source with a non-zero length is refused', () => {
    const s = withLocal();
    const e = thrown(() => s.bpf_dynptr_write('d', 0, null, 1, 0));
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).argument).toBe('src');
  });

  test('a throwing call changes nothing in the world', () => {
    const s = withLocal();
    const before = s.world;
    expect(() => s.bpf_dynptr_adjust('d', 0.5, 2)).toThrow(ArgumentError);
    expect(s.world).toBe(before);
    expect(s.bpf_dynptr_size('d')).toBe(8n);
  });

  test('an unknown kernel version is refused', () => {
    const e = thrown(() => new Session({ version: '5.15' as unknown as '6.19' }));
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).argument).toBe('version');
  });
});

describe('UnknownHandleError', () => {
  test('an uninitialized dynptr slot', () => {
    const s = new Session();
    const cases: [() => unknown, string][] = [
      [() => s.bpf_dynptr_size('nope'), 'p'],
      [() => s.bpf_dynptr_is_null('nope'), 'p'],
      [() => s.bpf_dynptr_read(new Uint8Array(1), 1, 'nope', 0, 0), 'src'],
      [() => s.bpf_dynptr_write('nope', 0, new Uint8Array(1), 1, 0), 'dst'],
      [() => s.bpf_dynptr_adjust('nope', 0, 0), 'p'],
      [() => s.bpf_dynptr_clone('nope', 'c'), 'p'],
      [() => s.bpf_dynptr_slice('nope', 0, null, 0), 'p'],
      [() => s.bpf_dynptr_file_discard('nope'), 'dynptr'],
    ];
    for (const [f, arg] of cases) {
      const e = thrown(f);
      expect(e).toBeInstanceOf(UnknownHandleError);
      expect(e).toBeInstanceOf(KernsimError);
      expect((e as UnknownHandleError).argument).toBe(arg);
      expect((e as UnknownHandleError).value).toBe('nope');
      expect((e as UnknownHandleError).message).toContain('"nope"');
    }
  });

  test('a failed clone from an uninitialized slot does not initialize the clone slot', () => {
    const s = new Session();
    expect(() => s.bpf_dynptr_clone('nope', 'c')).toThrow(UnknownHandleError);
    expect(() => s.bpf_dynptr_is_null('c')).toThrow(UnknownHandleError);
  });

  test('an unknown file', () => {
    const s = new Session();
    s.createFile({ path: '/f', content: content.zero(), size: 10 });
    const e = thrown(() => s.bpf_dynptr_from_file(999, 0, 'd'));
    expect(e).toBeInstanceOf(UnknownHandleError);
    expect((e as UnknownHandleError).argument).toBe('file');
    expect((e as UnknownHandleError).value).toBe(999);
    // The slot was not touched.
    expect(() => s.bpf_dynptr_is_null('d')).toThrow(UnknownHandleError);
  });

  test('an unknown path for open / fput of an unknown file', () => {
    const s = new Session();
    const e = thrown(() => s.open('/nope'));
    expect(e).toBeInstanceOf(UnknownHandleError);
    expect((e as UnknownHandleError).value).toBe('/nope');
    expect(() => s.fput(42)).toThrow(UnknownHandleError);
  });
});
