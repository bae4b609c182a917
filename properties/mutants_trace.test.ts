/**
 * Properties added to kill mutants (docs/properties.md, "Mutation testing"): the trace shows every
 * kfunc call as README.md ("Reading a trace") specifies: its name, its arguments as the C values the
 * kernel received (an integer converted to its unsigned type; decimal below 2^32, hex from 2^32;
 * memory as `buf[n]`, NULL as `NULL`, handles as `file#n`, `task(pid n)`, `map#n`), and its return
 * value (an errno by name, an unsigned errno with its name, `true`/`false`, `ptr[n]`/`NULL`,
 * `file#n`, `&map#m[k]`, `void`). The expected text is computed here from the arguments the test
 * passed and the value the call returned; the types of the arguments are the kernel prototypes of
 * SEMANTICS.md (sizes and offsets of dynptrs are u64 from 6.19 on, u32 on 6.18).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { expectEqual, expectIs } from './fast_expect.ts';
import { content, Session, type KernelVersion, type TraceEvent } from '../src/index.ts';
import { fileReaderObject, scenario } from '../examples/file_reader.ts';

/** Linux's errno numbers of the errors these calls return (include/uapi/asm-generic/errno-base.h, errno.h). */
const ERRNO: Record<number, string> = { 1: 'EPERM', 2: 'ENOENT', 5: 'EIO', 7: 'E2BIG', 9: 'EBADF', 12: 'ENOMEM', 14: 'EFAULT', 16: 'EBUSY', 17: 'EEXIST', 22: 'EINVAL', 34: 'ERANGE', 95: 'EOPNOTSUPP' };

const errnoText = (r: number): string => (r < 0 && ERRNO[-r] !== undefined ? `-${ERRNO[-r]}` : String(r));
const intText = (v: bigint): string => (v < 2n ** 32n ? v.toString() : `0x${v.toString(16)}`);
const asC = (x: number | bigint, bits: number): bigint => BigInt.asUintN(bits, BigInt(x));

type Int = number | bigint;
/** An integer argument: a C value near an edge, given as a number or a bigint, maybe negative. */
const anInt: fc.Arbitrary<Int> = fc.oneof(
  fc.constantFrom<Int>(0, 1, 7, 8, 4095, 4096, 4097, -1, -22, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 2n ** 63n, 2n ** 64n - 1n, -(2n ** 63n)),
  fc.integer({ min: 0, max: 9000 }),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
);
const slot = fc.constantFrom('d', 'e', 'm');

/** One call: how to make it, and the argument texts the trace must show. */
interface Call {
  readonly name: string;
  run(s: Session, env: Env): unknown;
  args(env: Env): string[];
  ret(v: unknown, env: Env): string;
}
interface Env {
  readonly bits: number;
  readonly file: number;
  readonly pid: number;
  readonly map: number;
}

const dsize = (x: Int, env: Env): string => intText(asC(x, env.bits));
const buf = (n: number | null): string => (n === null ? 'NULL' : `buf[${n}]`);
const intRet = (v: unknown): string => errnoText(v as number);
const ptrRet = (v: unknown): string => (v === null ? 'NULL' : `ptr[${(v as Uint8Array).length}]`);

const call: fc.Arbitrary<Call> = fc.oneof(
  fc.tuple(anInt, slot).map(([flags, p]): Call => ({
    name: 'bpf_dynptr_from_file',
    run: (s, e) => s.bpf_dynptr_from_file(e.file, flags, p),
    args: (e) => [`file#${e.file}`, intText(asC(flags, 32)), p],
    ret: intRet,
  })),
  fc.tuple(fc.integer({ min: 0, max: 16 }), anInt, slot).map(([n, size, p]): Call => ({
    name: 'bpf_dynptr_from_mem',
    run: (s) => s.bpf_dynptr_from_mem(new Uint8Array(n), size, 0, p),
    args: (e) => [buf(n), dsize(size, e), '0', p],
    ret: intRet,
  })),
  fc.tuple(fc.option(fc.integer({ min: 0, max: 64 }), { nil: null }), slot, anInt, anInt).map(([n, p, off, flags]): Call => ({
    name: 'bpf_dynptr_read',
    run: (s) => s.bpf_dynptr_read(n === null ? null : new Uint8Array(n), n ?? 0, p, off, flags),
    args: (e) => [buf(n), dsize(n ?? 0, e), p, dsize(off, e), intText(asC(flags, 64))],
    ret: intRet,
  })),
  fc.tuple(slot, anInt, anInt).map(([p, a, b]): Call => ({
    name: 'bpf_dynptr_adjust',
    run: (s) => s.bpf_dynptr_adjust(p, a, b),
    args: (e) => [p, dsize(a, e), dsize(b, e)],
    ret: intRet,
  })),
  slot.map((p): Call => ({
    name: 'bpf_dynptr_size',
    run: (s) => s.bpf_dynptr_size(p),
    args: () => [p],
    // An unsigned errno is shown with its name.
    ret: (v, e) => intText(v as bigint) + (v === asC(-22, e.bits) ? ' (-EINVAL)' : ''),
  })),
  fc.tuple(fc.constantFrom('bpf_dynptr_is_null' as const, 'bpf_dynptr_is_rdonly' as const), slot).map(([name, p]): Call => ({
    name,
    run: (s) => s[name](p),
    args: () => [p],
    ret: (v) => String(v as boolean),
  })),
  fc.tuple(slot, slot).map(([p, c]): Call => ({
    name: 'bpf_dynptr_clone',
    run: (s) => s.bpf_dynptr_clone(p, c),
    args: () => [p, c],
    ret: intRet,
  })),
  fc.tuple(fc.constantFrom('bpf_dynptr_slice' as const, 'bpf_dynptr_slice_rdwr' as const), slot, anInt, fc.option(fc.integer({ min: 0, max: 32 }), { nil: null })).map(([name, p, off, n]): Call => ({
    name,
    run: (s) => s[name](p, off, n === null ? null : new Uint8Array(n), n ?? 4),
    args: (e) => [p, dsize(off, e), buf(n), dsize(n ?? 4, e)],
    ret: ptrRet,
  })),
  fc.tuple(slot, anInt, fc.integer({ min: 0, max: 32 })).map(([p, off, n]): Call => ({
    name: 'bpf_dynptr_data',
    run: (s) => s.bpf_dynptr_data(p, off, n),
    args: (e) => [p, dsize(off, e), dsize(n, e)],
    ret: ptrRet,
  })),
  fc.tuple(slot, anInt, fc.option(fc.integer({ min: 0, max: 16 }), { nil: null }), anInt).map(([p, off, n, flags]): Call => ({
    name: 'bpf_dynptr_write',
    run: (s) => s.bpf_dynptr_write(p, off, n === null ? null : new Uint8Array(n), n ?? 0, flags),
    args: (e) => [p, dsize(off, e), buf(n), dsize(n ?? 0, e), intText(asC(flags, 64))],
    ret: intRet,
  })),
  fc.constant<Call>({
    name: 'bpf_put_file',
    run: (s, e) => s.bpf_put_file(e.file),
    args: (e) => [`file#${e.file}`],
    ret: () => 'void',
  }),
  fc.constant<Call>({
    name: 'bpf_get_task_exe_file',
    run: (s, e) => s.bpf_get_task_exe_file(e.pid),
    args: (e) => [`task(pid ${e.pid})`],
    ret: (v) => (v === null ? 'NULL' : `file#${String(v)}`),
  }),
  fc.tuple(anInt, fc.integer({ min: 0, max: 16 }), anInt).map(([key, n, flags]): Call => ({
    name: 'bpf_map_update_elem',
    run: (s, e) => s.bpf_map_update_elem(e.map, key, new Uint8Array(n), flags),
    args: (e) => [`map#${e.map}`, intText(asC(key, 32)), buf(n), intText(asC(flags, 64))],
    ret: intRet,
  })),
  anInt.map((key): Call => ({
    name: 'bpf_map_lookup_elem',
    run: (s, e) => s.bpf_map_lookup_elem(e.map, key),
    args: (e) => [`map#${e.map}`, intText(asC(key, 32))],
    ret: (v, e) => (v === null ? 'NULL' : `&map#${e.map}[${(v as { key: number }).key}]`),
  })),
  anInt.map((key): Call => ({
    name: 'bpf_map_delete_elem',
    run: (s, e) => s.bpf_map_delete_elem(e.map, key),
    args: (e) => [`map#${e.map}`, intText(asC(key, 32))],
    ret: intRet,
  })),
);

function world(version: KernelVersion, sleepable: boolean, warm: boolean, mapType: 'array' | 'hash'): { s: Session; env: Env } {
  const s = new Session({ version, sleepable });
  s.createFile({ path: '/usr/bin/t', content: content.pattern(9), size: 10_000 });
  if (warm) s.populate('/usr/bin/t');
  const file = s.open('/usr/bin/t');
  const pid = s.spawn({ comm: 't', exe: '/usr/bin/t', script: [] });
  // A map of each kind the calls may meet (one per world, chosen by the caller).
  s.load({ name: 'maps', maps: [{ name: 'm', type: mapType, maxEntries: 2, valueSize: 8, taskWorkFields: 0 }], globals: [], programs: [], subprogs: [] });
  const map = [...s.world.maps.keys()][0] ?? -1;
  // Slots the calls find initialized: a LOCAL dynptr in 'm', a FILE one in 'd' where the version has them.
  s.bpf_dynptr_from_mem(new Uint8Array(64), 64, 0, 'm');
  if (version === '6.18') s.bpf_dynptr_from_mem(new Uint8Array(16), 16, 0, 'd');
  else s.bpf_dynptr_from_file(file, 0, 'd');
  return { s, env: { bits: version === '6.18' ? 32 : 64, file, pid, map } };
}

describe('mutants: the trace shows each kfunc call, its arguments and its return value', () => {
  test('mutants: each call is one trace event whose name, argument texts and return text follow README "Reading a trace"', () => {
    fc.assert(fc.property(fc.constantFrom<KernelVersion>('6.18', '6.19'), fc.boolean(), fc.boolean(), fc.constantFrom('array' as const, 'hash' as const), fc.array(call, { minLength: 15, maxLength: 30 }), (version, sleepable, warm, mapType, calls) => {
      const { s, env } = world(version, sleepable, warm, mapType);
      for (const c of calls) {
        const before = s.events().length;
        let v: unknown;
        try {
          v = c.run(s, env);
        } catch {
          // A misuse (e.g. a constructor over a live FILE dynptr) changes nothing and logs nothing.
          expectIs(s.events().length, before);
          continue;
        }
        const added = s.events().slice(before);
        // Everything the call added is an event of the trace (each has a kind), one of them the call.
        for (const ev of added) expectIs(typeof (ev as { kind?: unknown }).kind, 'string');
        const evs = added.filter((ev): ev is Extract<TraceEvent, { kind: 'kfunc' }> => ev.kind === 'kfunc');
        expectIs(evs.length, 1);
        const ev = evs[0];
        expectIs(ev?.name, c.name);
        expectEqual(ev?.args, c.args(env));
        expectIs(ev?.ret, c.ret(v, env));
      }
    }));
  });

  test('mutants: in the seed scenario, the hook\'s calls show the task, the map value, the task_work slot and the callback', () => {
    // SEMANTICS.md, "The seed scenario": the pid-filtered lsm/file_open hook looks up arrmap[0] and
    // schedules signal task_work on its `tw` for the current task, with the callback; on 6.18/6.19
    // through `bpf_task_work_schedule_signal_impl` (aux NULL), from 7.0 through
    // `bpf_task_work_schedule_signal`. Two cache states, two versions: the space is checked whole.
    for (const version of ['6.19', '7.0'] as const) {
      for (const cache of ['warm', 'cold'] as const) {
        const s = scenario({ object: fileReaderObject(version), cache, version }).simulate();
        const pid = [...s.world.tasks.values()].find((t) => t.comm === 'test_progs')?.pid ?? -1;
        const m = [...s.world.maps.keys()][0] ?? -1;
        const kf = s.events().filter((ev): ev is Extract<TraceEvent, { kind: 'kfunc' }> => ev.kind === 'kfunc');
        const first = (name: string): Extract<TraceEvent, { kind: 'kfunc' }> | undefined => kf.find((ev) => ev.name === name);
        // pid_tgid is tgid << 32 | pid; a single-threaded task has tgid = pid.
        expectIs(first('bpf_get_current_pid_tgid')?.ret, intText((BigInt(pid) << 32n) | BigInt(pid)));
        expectEqual(first('bpf_get_current_pid_tgid')?.args, []);
        expectEqual(first('bpf_map_lookup_elem')?.args, [`map#${m}`, '0']);
        expectIs(first('bpf_map_lookup_elem')?.ret, `&map#${m}[0]`);
        expectIs(first('bpf_get_current_task_btf')?.ret, `task(pid ${pid})`);
        const sched = version === '6.19' ? 'bpf_task_work_schedule_signal_impl' : 'bpf_task_work_schedule_signal';
        const aux = version === '6.19' ? ['NULL'] : [];
        expectEqual(first(sched)?.args, [`task(pid ${pid})`, `&map#${m}[0].tw`, `map#${m}`, 'task_work_callback', ...aux]);
        expectIs(first(sched)?.ret, '0');
      }
    }
  });

  test('mutants: the size of a null dynptr shows the unsigned -EINVAL with its name', () => {
    // SEMANTICS.md, `bpf_dynptr_size`: "null → -EINVAL as a u32 (4294967274)" on 6.18, the same errno
    // as a u64 from 6.19 on (the widened return type); a discarded FILE dynptr is null.
    for (const version of ['6.18', '6.19', '7.0'] as const) {
      const s = new Session({ version });
      s.bpf_dynptr_from_mem(new Uint8Array(4), 4, 1, 'n'); // flags ≠ 0: -EINVAL, and the slot is null
      expectIs(s.bpf_dynptr_size('n'), asC(-22, version === '6.18' ? 32 : 64));
      const ev = s.events().at(-1) as Extract<TraceEvent, { kind: 'kfunc' }>;
      expectIs(ev.ret, `${intText(asC(-22, version === '6.18' ? 32 : 64))} (-EINVAL)`);
    }
  });

  test('mutants: a NULL file result shows as NULL', () => {
    // SEMANTICS.md / fs/bpf_fs_kfuncs.c: bpf_get_task_exe_file returns NULL for a task without an mm
    // (after exit_mm); the trace shows the NULL it returned.
    for (const version of ['6.19', '7.0'] as const) {
      const s = new Session({ version });
      s.createFile({ path: '/usr/bin/z', content: content.zero(), size: 100 });
      const pid = s.spawn({ comm: 'z', exe: '/usr/bin/z', script: [{ sys: 'exit' }] });
      s.simulate();
      expect(s.bpf_get_task_exe_file(pid)).toBeNull();
      const ev = s.events().at(-1) as Extract<TraceEvent, { kind: 'kfunc' }>;
      expectEqual([ev.name, ev.args, ev.ret], ['bpf_get_task_exe_file', [`task(pid ${pid})`], 'NULL']);
    }
  });

  test('mutants: calls of the issue-14 kinds show their map, packet contexts (skb#n, xdp_md#n), u32 and u8 values, and void', () => {
    // README "Reading a trace": integer arguments as the C value of their type (the ring size a u32,
    // memset's val a u8), a packet context `skb#n` / `xdp_md#n`, a void helper `void`.
    fc.assert(fc.property(fc.constantFrom<KernelVersion>('6.18', '6.19'), anInt, anInt, anInt, anInt, (version, size, val, off, flags) => {
      const bits = version === '6.18' ? 32 : 64;
      const s = new Session({ version });
      const map = s.createMap({ name: 'rb', type: 'ringbuf', maxEntries: 4096 });
      const skb = s.packet({ kind: 'skb', data: new Uint8Array(64) });
      const xdp = s.packet({ kind: 'xdp', data: new Uint8Array(64) });
      const last = (): Extract<TraceEvent, { kind: 'kfunc' }> => s.events().filter((e): e is Extract<TraceEvent, { kind: 'kfunc' }> => e.kind === 'kfunc').at(-1)!;
      const r = s.bpf_ringbuf_reserve_dynptr(map, size, flags, 'r');
      expectEqual([last().name, last().args, last().ret], ['bpf_ringbuf_reserve_dynptr', [`map#${map}`, intText(asC(size, 32)), intText(asC(flags, 64)), 'r'], errnoText(r)]);
      s.bpf_ringbuf_discard_dynptr('r', flags);
      expectEqual([last().name, last().args, last().ret], ['bpf_ringbuf_discard_dynptr', ['r', intText(asC(flags, 64))], 'void']);
      expectIs(s.bpf_dynptr_from_skb(skb, 0, 's'), 0);
      expectEqual(last().args, [`skb#${skb}`, '0', 's']);
      expectIs(s.bpf_dynptr_from_xdp(xdp, 0, 'x'), 0);
      expectEqual(last().args, [`xdp_md#${xdp}`, '0', 'x']);
      const m = s.bpf_dynptr_memset('x', off, 4, val);
      expectEqual([last().name, last().args, last().ret], ['bpf_dynptr_memset', ['x', intText(asC(off, bits)), '4', intText(asC(val, 8))], errnoText(m)]);
    }));
  });
});
