/**
 * Properties added to kill mutants (docs/properties.md, "Mutation testing"): arguments of the wrong
 * TypeScript shape. README.md: "a misuse of the TypeScript API … throws an `ArgumentError` or
 * `UnknownHandleError` naming the argument and the value", "if the batch throws, nothing of it
 * applies", and a kfunc takes its kernel arguments in the kernel's order. The parameters below are
 * the kernel prototypes (SEMANTICS.md; kernel/bpf/helpers.c, fs/bpf_fs_kfuncs.c, kernel/bpf/
 * syscall.c helpers), written out here, with what each accepts from TypeScript: an integer (number
 * or bigint), a dynptr slot (a non-empty string), memory (a Uint8Array; `?` also NULL), a file
 * handle, a task or map that exists, a kernel pointer (an integer, a Uint8Array of program memory, or NULL), a task_work slot `{ map, key }`, a callback name.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { expectEqual, expectIs } from './fast_expect.ts';
import { ArgumentError, content, createWorld, KernsimError, Session, UnknownHandleError, UseAfterFreeError, type KernelVersion } from '../src/index.ts';

type Kind = 'int' | 'kptr' | 'slot' | 'mem' | 'mem?' | 'file' | 'task' | 'map' | 'tw' | 'callback' | 'aux' | 'skb' | 'xdp';
type Param = readonly [name: string, kind: Kind];

/** The kfuncs and helpers the TypeScript API offers, with their parameters in kernel order. */
const PROTOTYPES: Readonly<Record<string, readonly Param[]>> = {
  bpf_dynptr_from_mem: [['data', 'mem'], ['size', 'int'], ['flags', 'int'], ['ptr', 'slot']],
  bpf_dynptr_from_file: [['file', 'file'], ['flags', 'int'], ['ptr__uninit', 'slot']],
  bpf_dynptr_read: [['dst', 'mem?'], ['len', 'int'], ['src', 'slot'], ['offset', 'int'], ['flags', 'int']],
  bpf_dynptr_write: [['dst', 'slot'], ['offset', 'int'], ['src', 'mem?'], ['len', 'int'], ['flags', 'int']],
  bpf_dynptr_adjust: [['p', 'slot'], ['start', 'int'], ['end', 'int']],
  bpf_dynptr_size: [['p', 'slot']],
  bpf_dynptr_is_null: [['p', 'slot']],
  bpf_dynptr_is_rdonly: [['p', 'slot']],
  bpf_dynptr_clone: [['p', 'slot'], ['clone__uninit', 'slot']],
  bpf_dynptr_slice: [['p', 'slot'], ['offset', 'int'], ['buffer__opt', 'mem?'], ['buffer__szk', 'int']],
  bpf_dynptr_slice_rdwr: [['p', 'slot'], ['offset', 'int'], ['buffer__opt', 'mem?'], ['buffer__szk', 'int']],
  bpf_dynptr_data: [['p', 'slot'], ['offset', 'int'], ['len', 'int']],
  bpf_dynptr_file_discard: [['dynptr', 'slot']],
  bpf_get_task_exe_file: [['task', 'task']],
  bpf_put_file: [['file', 'file']],
  bpf_map_lookup_elem: [['map', 'map'], ['key', 'int']],
  bpf_map_update_elem: [['map', 'map'], ['key', 'int'], ['value', 'mem?'], ['flags', 'int']],
  bpf_map_delete_elem: [['map', 'map'], ['key', 'int']],
  bpf_copy_from_user_str: [['dst', 'mem'], ['dst__sz', 'int'], ['unsafe_ptr__ign', 'int'], ['flags', 'int']],
  bpf_task_work_schedule_signal_impl: [['task', 'task'], ['tw', 'tw'], ['map__map', 'map'], ['callback', 'callback'], ['aux__prog', 'aux']],
  bpf_task_work_schedule_resume_impl: [['task', 'task'], ['tw', 'tw'], ['map__map', 'map'], ['callback', 'callback'], ['aux__prog', 'aux']],
  // Issue 14: kernel/bpf/ringbuf.c, net/core/filter.c, kernel/bpf/helpers.c, kernel/trace/bpf_trace.c.
  bpf_ringbuf_reserve_dynptr: [['map', 'map'], ['size', 'int'], ['flags', 'int'], ['ptr', 'slot']],
  bpf_ringbuf_submit_dynptr: [['ptr', 'slot'], ['flags', 'int']],
  bpf_ringbuf_discard_dynptr: [['ptr', 'slot'], ['flags', 'int']],
  bpf_dynptr_from_skb: [['skb', 'skb'], ['flags', 'int'], ['ptr__uninit', 'slot']],
  bpf_dynptr_from_skb_meta: [['skb', 'skb'], ['flags', 'int'], ['ptr__uninit', 'slot']],
  bpf_dynptr_from_xdp: [['x', 'xdp'], ['flags', 'int'], ['ptr__uninit', 'slot']],
  bpf_dynptr_memset: [['p', 'slot'], ['offset', 'int'], ['size', 'int'], ['val', 'int']],
  bpf_dynptr_copy: [['dst_ptr', 'slot'], ['dst_off', 'int'], ['src_ptr', 'slot'], ['src_off', 'int'], ['size', 'int']],
  bpf_probe_read_user_dynptr: [['dptr', 'slot'], ['off', 'int'], ['size', 'int'], ['unsafe_ptr__ign', 'int']],
  bpf_probe_read_kernel_dynptr: [['dptr', 'slot'], ['off', 'int'], ['size', 'int'], ['unsafe_ptr__ign', 'kptr']],
  bpf_probe_read_user_str_dynptr: [['dptr', 'slot'], ['off', 'int'], ['size', 'int'], ['unsafe_ptr__ign', 'int']],
  bpf_probe_read_kernel_str_dynptr: [['dptr', 'slot'], ['off', 'int'], ['size', 'int'], ['unsafe_ptr__ign', 'kptr']],
  bpf_copy_from_user_dynptr: [['dptr', 'slot'], ['off', 'int'], ['size', 'int'], ['unsafe_ptr__ign', 'int']],
  bpf_copy_from_user_str_dynptr: [['dptr', 'slot'], ['off', 'int'], ['size', 'int'], ['unsafe_ptr__ign', 'int']],
  bpf_copy_from_user_task_dynptr: [['dptr', 'slot'], ['off', 'int'], ['size', 'int'], ['unsafe_ptr__ign', 'int'], ['tsk', 'task']],
  bpf_copy_from_user_task_str_dynptr: [['dptr', 'slot'], ['off', 'int'], ['size', 'int'], ['unsafe_ptr__ign', 'int'], ['tsk', 'task']],
};

interface Env {
  readonly file: number;
  readonly pid: number;
  readonly map: number;
  readonly skb: number;
  readonly xdp: number;
}

/** A well-formed value of each kind. */
function good(kind: Kind, env: Env): unknown {
  switch (kind) {
    case 'int': return 0;
    case 'kptr': return 0;
    case 'slot': return 'd';
    case 'mem': return new Uint8Array(8);
    case 'mem?': return new Uint8Array(8);
    case 'file': return env.file;
    case 'task': return env.pid;
    case 'map': return env.map;
    case 'tw': return { map: env.map, key: 0 };
    case 'callback': return 'cb';
    case 'aux': return null;
    case 'skb': return env.skb;
    case 'xdp': return env.xdp;
  }
}

/** Values of the wrong shape for each kind, and the error each must raise. */
const BAD: Readonly<Record<Exclude<Kind, 'aux'>, readonly (readonly [unknown, typeof ArgumentError | typeof UnknownHandleError])[]>> = {
  int: [[1.5, ArgumentError], ['7', ArgumentError], [2 ** 60, ArgumentError], [null, ArgumentError], [Number.NaN, ArgumentError]],
  // A kernel pointer (`unsafe_ptr__ign` of the kernel probe reads): an address, program memory, or NULL (a valid address: -ERANGE).
  kptr: [[1.5, ArgumentError], ['7', ArgumentError], [2 ** 60, ArgumentError], [Number.NaN, ArgumentError], [{}, ArgumentError]],
  slot: [['', ArgumentError], [7, ArgumentError], [null, ArgumentError], [{}, ArgumentError]],
  mem: [[null, ArgumentError], ['buf', ArgumentError], [[1, 2], ArgumentError], [8, ArgumentError]],
  'mem?': [['buf', ArgumentError], [[1, 2], ArgumentError], [8, ArgumentError]],
  file: [[1.5, ArgumentError], ['f', ArgumentError], [null, ArgumentError]],
  task: [[999_999, UnknownHandleError], ['t', UnknownHandleError], [null, UnknownHandleError]],
  map: [[999_999, UnknownHandleError], ['m', UnknownHandleError], [null, UnknownHandleError]],
  tw: [[null, ArgumentError], [7, ArgumentError], [{ map: 'm', key: 0 }, ArgumentError], [{ map: 1 }, ArgumentError], [{ key: 0 }, ArgumentError]],
  callback: [['', ArgumentError], [7, ArgumentError], [null, ArgumentError]],
  // A packet context: the id of a packet of that kind (an xdp_buff is no skb, and the other way round).
  skb: [[999_999, UnknownHandleError], ['s', UnknownHandleError], [null, UnknownHandleError], [-1, UnknownHandleError]],
  xdp: [[999_999, UnknownHandleError], ['x', UnknownHandleError], [null, UnknownHandleError], [-1, UnknownHandleError]],
};

function session(version: KernelVersion): { s: Session; env: Env } {
  const s = new Session({ version });
  s.createFile({ path: '/usr/bin/t', content: content.pattern(4), size: 8192 });
  const file = s.open('/usr/bin/t');
  const pid = s.spawn({ comm: 't', exe: '/usr/bin/t', script: [] });
  s.load({ name: 'maps', maps: [{ name: 'm', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 1 }], globals: [], programs: [], subprogs: [] });
  const skb = s.packet({ kind: 'skb', data: new Uint8Array(64) });
  const xdp = s.packet({ kind: 'xdp', data: new Uint8Array(64) });
  return { s, env: { file, pid, map: [...s.world.maps.keys()][0] ?? -1, skb, xdp } };
}

/** What `f` throws (undefined when it returns). */
function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Call the kfunc `name` of the session with `args`, as a script would. */
const callOn = (s: Session, name: string, args: unknown[]): unknown => (s as unknown as Record<string, (...a: unknown[]) => unknown>)[name]?.apply(s, args);

const names = Object.keys(PROTOTYPES);

describe('mutants: arguments of the wrong shape are refused, naming the argument', () => {
  test('mutants: a wrong value in any one argument throws the documented error for that argument, and changes nothing', () => {
    // Every kfunc, every argument, every wrong value, on both versions: a finite space, checked whole.
    let checked = 0;
    for (const version of ['6.18', '6.19'] as const) {
      for (const name of names) {
        const params = PROTOTYPES[name] ?? [];
        params.forEach(([param, kind], i) => {
          if (kind === 'aux') return;
          for (const [value, cls] of BAD[kind]) {
            const { s, env } = session(version);
            const args = params.map(([, k]) => good(k, env));
            args[i] = value;
            const before = s.world;
            const thrown = thrownBy(() => callOn(s, name, args));
            expectIs(s.world, before);
            // A kfunc the version does not have is refused before its arguments are looked at.
            if (thrown instanceof KernsimError && thrown.name === 'KfuncUnavailableError') continue;
            expect(thrown, `${version} ${name}(${param} = ${String(value)})`).toBeInstanceOf(cls);
            expectIs((thrown as ArgumentError | UnknownHandleError).argument, param);
            expectIs((thrown as ArgumentError | UnknownHandleError).value, value);
            checked += 1;
          }
        });
      }
    }
    expect(checked).toBeGreaterThan(300);
  });

  test('mutants: a call with too few or too many arguments is refused, naming the kfunc', () => {
    fc.assert(fc.property(fc.constantFrom(...names), fc.integer({ min: -2, max: 2 }).filter((d) => d !== 0), (name, delta) => {
      const { s, env } = session('6.19');
      const params = PROTOTYPES[name] ?? [];
      if (params.length + delta < 0) return;
      const args = [...params.map(([, kind]) => good(kind, env)), 0, 0].slice(0, params.length + delta);
      const before = s.world;
      const thrown = thrownBy(() => callOn(s, name, args));
      expect(thrown).toBeInstanceOf(ArgumentError);
      expectIs((thrown as ArgumentError).argument, `${name} arguments`);
      expectIs((thrown as ArgumentError).value, params.length + delta);
      expectIs(s.world, before);
    }));
  });

  test('mutants: a world of a version the model does not know is refused', () => {
    fc.assert(fc.property(fc.constantFrom('6.17', '5.15', '', '6.19 ', 619, {}), (version) => {
      const thrown = thrownBy(() => createWorld({ version: version as KernelVersion }));
      expect(thrown).toBeInstanceOf(ArgumentError);
      expectIs((thrown as ArgumentError).argument, 'version');
    }));
  });

  test('mutants: a world\'s tables read as the read-only maps their type says', () => {
    // README.md, "As a library": a world is an immutable value; its tables (`world.files`,
    // `world.dynptrs`, …) are typed `ReadonlyMap`. Every way of reading one agrees with `get`.
    fc.assert(fc.property(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), (nfiles, nslots) => {
      const s = new Session({ sleepable: true });
      for (let i = 0; i < nfiles; i += 1) {
        s.createFile({ path: `/f${i}`, content: content.pattern(i), size: 5000 });
        const f = s.open(`/f${i}`);
        if (i < nslots) expectIs(s.bpf_dynptr_from_file(f, 0, `d${i}`), 0);
        if (i < nslots) expectIs(s.bpf_dynptr_read(new Uint8Array(4), 4, `d${i}`, 4096, 0), 0);
      }
      const w = s.world;
      for (const t of [w.inodes, w.paths, w.files, w.pagecache, w.dynptrs, w.fileStates, w.io] as ReadonlyMap<unknown, unknown>[]) {
        const viaGet = [...t.keys()].map((key) => [key, t.get(key)]);
        expectEqual([...t], viaGet);
        expectEqual([...t.entries()], viaGet);
        expectEqual([...t.values()], viaGet.map(([, v]) => v));
        expectIs(t.size, viaGet.length);
        for (const [key] of viaGet) expectIs(t.has(key), true);
        expectIs(t.has('no such key'), false);
        const seen: unknown[] = [];
        t.forEach((v, key, map) => { seen.push([key, v]); expectIs(map, t); });
        expectEqual(seen, viaGet);
      }
      expectIs(w.files.size, nfiles);
      expectIs(w.dynptrs.size, Math.min(nfiles, nslots));
    }));
  });

  test('mutants: a file used after its last reference is gone is refused, naming the argument', () => {
    // README.md: "a use of a freed object throws `UseAfterFreeError`"; the error names the argument.
    for (const version of ['6.19', '7.0'] as const) {
      for (const use of ['bpf_dynptr_from_file', 'bpf_put_file'] as const) {
        const { s, env } = session(version);
        s.fput(env.file);
        const before = s.world;
        const thrown = thrownBy(() => (use === 'bpf_put_file' ? s.bpf_put_file(env.file) : s.bpf_dynptr_from_file(env.file, 0, 'd')));
        expect(thrown, `${version} ${use}`).toBeInstanceOf(UseAfterFreeError);
        expectIs((thrown as UseAfterFreeError).argument, 'file');
        expectIs(s.world, before);
      }
    }
  });
});
