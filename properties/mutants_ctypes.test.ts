/**
 * Properties added to kill mutants (docs/properties.md, "Mutation testing"): the TypeScript API's
 * integer conversion and errno names, as README.md specifies them: "Integer arguments take numbers or
 * bigints and are converted as C converts them (`-1` as a u64 is `2^64 - 1`). Kernel errors are return
 * values (`-EINVAL` is `-22`; `k.errnoName(-22)` is `"-EINVAL"`); a misuse of the TypeScript API (a
 * fractional length, …) throws an `ArgumentError`". The conversions are observed through map helpers
 * (a u32 key, a u64 flags argument) whose rules mutants_maps.test.ts states; the errno values are those
 * of include/uapi/asm-generic/errno-base.h and errno.h, written out here.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ArgumentError, errnoName, FILE_DYNPTR_EXCLUDED, FILE_DYNPTR_PROG_TYPES, Session, toU32, toU64, type BpfObject } from '../src/index.ts';
import { expectIs, expectEqual } from './fast_expect.ts';

const LINUX_ERRNO: Readonly<Record<string, number>> = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EIO: 5, E2BIG: 7, EBADF: 9, ECHILD: 10, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17, EINVAL: 22, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, ERANGE: 34, ENAMETOOLONG: 36, EOPNOTSUPP: 95,
};

const OBJ: BpfObject = { name: 'm', maps: [{ name: 'h', type: 'hash', maxEntries: 4, valueSize: 4, taskWorkFields: 0 }], globals: [], programs: [], subprogs: [] };

describe('mutants: integer conversion and errno names of the TypeScript API', () => {
  test('mutants: a u32 key and a u64 flags argument are taken modulo 2^32 and 2^64, from numbers or bigints', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 32n - 1n }), fc.bigInt({ min: -3n, max: 3n }), fc.constantFrom(0n, 1n, 2n), fc.boolean(), (key, wraps, flags, asNumber) => {
      const s = new Session();
      s.load(OBJ);
      const id = [...s.world.maps.values()][0]!.id;
      const k32 = key + wraps * 2n ** 32n; // the same u32 as key
      const arg = (v: bigint): number | bigint => (asNumber && Number.isSafeInteger(Number(v)) ? Number(v) : v);
      const f64 = flags + wraps * 2n ** 64n; // the same u64 as flags
      // flags BPF_ANY / BPF_NOEXIST insert; BPF_EXIST on a missing key is -ENOENT (hashtab.c check_flags).
      expectIs(s.bpf_map_update_elem(id, arg(k32), new Uint8Array(4), arg(f64)), flags === 2n ? -2 : 0);
      const got = s.bpf_map_lookup_elem(id, arg(key));
      if (flags === 2n) expect(got).toBeNull();
      else expect(got).toMatchObject({ map: id, key: Number(key) });
      // Any u64 above BPF_EXIST with no BPF_F_LOCK bit is an unknown flag: -EINVAL; -1 is 2^64 - 1.
      expectIs(s.bpf_map_update_elem(id, arg(key), new Uint8Array(4), -1), -22);
    }));
  });

  test('mutants: what is not an integer a number holds exactly is refused with an ArgumentError', () => {
    fc.assert(fc.property(fc.constantFrom<unknown>(0.5, -1.25, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53 + 2, -(2 ** 60), '1', null, undefined, {}), fc.boolean(), (bad, asKey) => {
      const s = new Session();
      s.load(OBJ);
      const id = [...s.world.maps.values()][0]!.id;
      const before = s.world;
      const callIt = (): unknown => (asKey
        ? (s.bpf_map_lookup_elem as (...a: unknown[]) => unknown)(id, bad)
        : (s.bpf_map_update_elem as (...a: unknown[]) => unknown)(id, 0, new Uint8Array(4), bad));
      expect(callIt).toThrow(ArgumentError);
      expectIs(s.world, before);
    }));
  });

  test('mutants: errnoName names every errno the model returns and prints anything else as it is', () => {
    fc.assert(fc.property(fc.constantFrom(...Object.keys(LINUX_ERRNO)), fc.integer({ min: -200, max: 200 }), (name, n) => {
      expectIs(errnoName(-LINUX_ERRNO[name]!), `-${name}`);
      expectIs(errnoName(LINUX_ERRNO[name]!), String(LINUX_ERRNO[name]));
      const known = Object.entries(LINUX_ERRNO).find(([, v]) => -v === n);
      expectIs(errnoName(n), known === undefined ? String(n) : `-${known[0]}`);
    }));
  });

  test('mutants: toU32 / toU64 convert as C converts to an unsigned type', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.boolean(), (v, asNumber) => {
      const arg = asNumber && Number.isSafeInteger(Number(v)) ? Number(v) : v;
      const mod = (m: bigint): bigint => ((v % m) + m) % m;
      expectIs(toU32(arg, 'x'), mod(2n ** 32n));
      expectIs(toU64(arg, 'x'), mod(2n ** 64n));
    }));
    expect(() => toU32(0.5, 'x')).toThrow(ArgumentError);
    expect(() => toU64(2 ** 53 + 2, 'x')).toThrow(ArgumentError);
  });
});

/** SEMANTICS.md, "Program types that may call bpf_dynptr_from_file", as written there. */
const SEMANTICS_PROG_TYPES = 'CGROUP_DEVICE (6.12), CGROUP_SKB, CGROUP_SOCK (6.12), CGROUP_SOCKOPT (6.12), CGROUP_SOCK_ADDR (6.7), CGROUP_SYSCTL (6.12), LSM, LWT_IN, LWT_OUT, LWT_SEG6LOCAL, LWT_XMIT, NETFILTER, PERF_EVENT (6.12), SCHED_ACT, SCHED_CLS, SK_SKB, SOCKET_FILTER, SOCK_OPS (6.15), STRUCT_OPS, SYSCALL, TRACEPOINT (6.12), TRACING, XDP. Not KPROBE.';

describe('mutants: the program types of bpf_dynptr_from_file (the table docs and explain render)', () => {
  test('mutants: FILE_DYNPTR_PROG_TYPES and FILE_DYNPTR_EXCLUDED are SEMANTICS.md\'s list, with its versions', () => {
    const [allowed, excluded] = SEMANTICS_PROG_TYPES.split('. Not ');
    const rows = allowed!.split(', ').map((x) => {
      const m = /^([A-Z0-9_]+)(?: \(([\d.]+)\))?$/.exec(x)!;
      return { type: m[1]!, since: m[2] ?? null };
    });
    expectEqual(FILE_DYNPTR_PROG_TYPES, rows);
    expectEqual(FILE_DYNPTR_EXCLUDED, [excluded!.replace('.', '')]);
  });
});

