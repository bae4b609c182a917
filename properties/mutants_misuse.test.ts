/**
 * Properties added to kill mutants (docs/properties.md, "Mutation testing"): calls no BPF program can
 * make. The verifier refuses them (SEMANTICS.md, "Verifier messages"), or they are misuses of the
 * TypeScript API, which README.md specifies: "a misuse of the TypeScript API (a fractional length, a
 * slot never initialized, a buffer smaller than its length) throws an `ArgumentError` or
 * `UnknownHandleError` naming the argument and the value; a use of a freed object throws
 * `UseAfterFreeError`". Whatever throws leaves the world unchanged ("if the batch throws, nothing of
 * it applies").
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { expectIs, expectThrows } from './fast_expect.ts';
import { ArgumentError, content, KernsimError, LoadError, Session, UnknownHandleError, UseAfterFreeError } from '../src/index.ts';

type ErrorClass = typeof ArgumentError | typeof UnknownHandleError | typeof UseAfterFreeError;

/** Expect `f` to throw an instance of `cls` and to leave the session's world as it was. */
function refused(s: Session, cls: ErrorClass, f: () => unknown): void {
  const before = s.world;
  expectThrows(f, cls);
  expectIs(s.world, before);
}

function session(size: bigint, sleepable: boolean): { s: Session; f: number } {
  const s = new Session({ sleepable });
  s.createFile({ path: '/f', content: content.pattern(2), size });
  s.populate('/f');
  return { s, f: s.open('/f') };
}

const size = fc.constantFrom(1n, 4096n, 8193n);
const len = fc.integer({ min: 1, max: 64 });

describe('mutants: calls no program can make are refused', () => {
  test('mutants: a dynptr slot never initialized, or used after its FILE state was discarded through a clone, is refused', () => {
    // SEMANTICS.md: "`Expected an initialized dynptr as arg #0` (use after discard)"; a FILE clone
    // "shares the allocated state … discarding one invalidates all (M)".
    fc.assert(fc.property(size, len, fc.boolean(), fc.constantFrom('read', 'adjust', 'size', 'clone', 'slice', 'write', 'discard'), (sz, n, sleepable, op) => {
      const { s, f } = session(sz, sleepable);
      const use = (slot: string): unknown => {
        switch (op) {
          case 'read': return s.bpf_dynptr_read(new Uint8Array(n), n, slot, 0, 0);
          case 'adjust': return s.bpf_dynptr_adjust(slot, 0, 1);
          case 'size': return s.bpf_dynptr_size(slot);
          case 'clone': return s.bpf_dynptr_clone(slot, 'other');
          case 'slice': return s.bpf_dynptr_slice(slot, 0, new Uint8Array(n), n);
          case 'write': return s.bpf_dynptr_write(slot, 0, new Uint8Array(n), n, 0);
          case 'discard': return s.bpf_dynptr_file_discard(slot);
        }
      };
      refused(s, UnknownHandleError, () => use('never'));
      expectIs(s.bpf_dynptr_from_file(f, 0, 'd'), 0);
      expectIs(s.bpf_dynptr_clone('d', 'c'), 0);
      expectIs(s.bpf_dynptr_file_discard('d'), 0);
      // 'd' is null now ("sets the dynptr null"): ops on it answer as on any null dynptr; 'c' is stale.
      if (op !== 'write') refused(s, UseAfterFreeError, () => use('c'));
      else expect(use('c')).toBe(-22); // "dst null or read-only → -EINVAL": checked before the state is touched
    }));
  });

  test('mutants: discarding a LOCAL dynptr, or making a dynptr over a live FILE dynptr, is refused', () => {
    // SEMANTICS.md: "`Expected a dynptr of type file as arg #0` (discard of a non-file dynptr)";
    // "`Unreleased reference id=` (file dynptr not discarded)": overwriting a live FILE dynptr would
    // leak its state.
    fc.assert(fc.property(size, len, fc.constantFrom('from_file', 'from_mem', 'clone'), (sz, n, ctor) => {
      const { s, f } = session(sz, false);
      const mem = new Uint8Array(n);
      expectIs(s.bpf_dynptr_from_mem(mem, n, 0, 'l'), 0);
      refused(s, ArgumentError, () => s.bpf_dynptr_file_discard('l'));
      expectIs(s.bpf_dynptr_from_file(f, 0, 'd'), 0);
      const make = (): unknown => (ctor === 'from_file' ? s.bpf_dynptr_from_file(f, 0, 'd')
        : ctor === 'from_mem' ? s.bpf_dynptr_from_mem(mem, n, 0, 'd') : s.bpf_dynptr_clone('l', 'd'));
      refused(s, ArgumentError, make);
      // After the discard the slot may be reused.
      expectIs(s.bpf_dynptr_file_discard('d'), 0);
      expectIs(make(), 0);
    }));
  });

  test('mutants: a buffer shorter than the length paired with it is refused; NULL only with length 0', () => {
    // README.md: "a buffer smaller than its length" throws an ArgumentError (the verifier pairs a
    // buffer with its length). SEMANTICS.md: "FILE: dst NULL → `-EINVAL`".
    fc.assert(fc.property(size, len, fc.boolean(), (sz, n, file) => {
      const { s, f } = session(sz, false);
      const mem = new Uint8Array(2 * n);
      refused(s, ArgumentError, () => s.bpf_dynptr_from_mem(new Uint8Array(n - 1), n, 0, 'x'));
      if (file) expect(s.bpf_dynptr_from_file(f, 0, 'p')).toBe(0);
      else expect(s.bpf_dynptr_from_mem(mem, 2 * n, 0, 'p')).toBe(0);
      refused(s, ArgumentError, () => s.bpf_dynptr_read(new Uint8Array(n - 1), n, 'p', 0, 0));
      if (file) {
        refused(s, ArgumentError, () => s.bpf_dynptr_slice('p', 0, new Uint8Array(n - 1), n));
        expectIs(s.bpf_dynptr_read(null, n, 'p', 0, 0), -22);
        expectIs(s.bpf_dynptr_read(null, 0, 'p', 0, 0), -22);
        expectIs(s.bpf_dynptr_file_discard('p'), 0);
      } else {
        refused(s, ArgumentError, () => s.bpf_dynptr_read(null, n, 'p', 0, 0));
        expectIs(s.bpf_dynptr_read(null, 0, 'p', 0, 0), 0);
        refused(s, ArgumentError, () => s.bpf_dynptr_write('p', 0, new Uint8Array(n - 1), n, 0));
        refused(s, ArgumentError, () => s.bpf_dynptr_write('p', 0, null, n, 0));
        expectIs(s.bpf_dynptr_write('p', 0, null, 0, 0), 0);
      }
    }));
  });

  test('mutants: a file that was freed, or a path or inode never created, is refused', () => {
    // README.md: "a use of a freed object throws `UseAfterFreeError`"; SEMANTICS.md: "A file's count
    // starts at 1 for its opener"; `bpf_dynptr_from_file` "Takes no file reference of its own".
    fc.assert(fc.property(size, fc.integer({ min: 0, max: 2 }), (sz, extra) => {
      const { s, f } = session(sz, false);
      for (let i = 0; i < extra; i += 1) s.get_file(f);
      for (let i = 0; i < extra; i += 1) s.fput(f);
      expectIs(s.bpf_dynptr_from_file(f, 0, 'd'), 0);
      s.fput(f); // the opener's reference: the file is freed (no task: at once)
      refused(s, UseAfterFreeError, () => s.fput(f));
      refused(s, UseAfterFreeError, () => s.get_file(f));
      refused(s, UseAfterFreeError, () => s.bpf_dynptr_from_file(f, 0, 'e'));
      refused(s, UseAfterFreeError, () => s.bpf_dynptr_read(new Uint8Array(1), 1, 'd', 0, 0));
      refused(s, UnknownHandleError, () => s.bpf_dynptr_from_file(f + 1000, 0, 'e'));
      refused(s, UnknownHandleError, () => s.open('/none'));
      refused(s, UnknownHandleError, () => s.populate('/none'));
    }));
  });

  test('mutants: file and cache arguments outside their domain are refused', () => {
    // README.md: a misuse of the TypeScript API "(a fractional length …) throws an ArgumentError";
    // SEMANTICS.md/state: i_size is a `loff_t`, at most 2^63 − 1.
    const S64_MAX = (1n << 63n) - 1n;
    const bad = fc.constantFrom(
      { path: 'relative', size: 1 }, { path: '/f', size: 1 }, { path: '/p', content: content.pattern(1) }, { path: '/p', size: 1.5 },
      { path: '/p', size: -1 }, { path: '/p', size: -1n }, { path: '/p', size: S64_MAX + 1n }, { path: '/p', size: 1, ioLatency: -1 },
      { path: '/p', size: 1, ioLatency: 0.5 }, { path: 42 as unknown as string, size: 1 },
    );
    fc.assert(fc.property(bad, fc.boolean(), (spec, cacheOp) => {
      const { s } = session(8192n, false);
      refused(s, ArgumentError, () => s.createFile(spec));
      if (cacheOp) {
        refused(s, ArgumentError, () => s.populate('/f', -1, 1));
        refused(s, ArgumentError, () => s.populate('/f', 0.5, 1));
        refused(s, ArgumentError, () => s.evict('/f', 0, -4096));
        refused(s, ArgumentError, () => s.injectIoError('/f', 0, 0));
        refused(s, ArgumentError, () => s.injectIoError('/f', 0, 1.5));
        refused(s, ArgumentError, () => s.injectAllocFailure(0));
      }
      // The edges of the domain are accepted.
      s.createFile({ path: '/max', content: content.zero(), size: S64_MAX });
      s.createFile({ path: '/empty', content: content.zero(), size: 0, ioLatency: 0 });
      s.createFile({ path: '/bytes', content: content.bytes(new Uint8Array(3)) });
      expectIs(s.world.inodes.size, 4);
    }));
  });

  test('mutants: a map declaration of a negative or fractional size is refused; no entries or no value bytes is the kernel\'s -EINVAL', () => {
    // README.md: a misuse of the TypeScript API throws an ArgumentError (a size no u32 holds); a u32
    // the kernel refuses is its errno: max_entries 0 and value_size 0 are -EINVAL
    // (array_map_alloc_check, htab_map_alloc_check), and the load fails with it.
    const bad = fc.constantFrom({ maxEntries: -1, valueSize: 8 }, { maxEntries: 1.5, valueSize: 8 }, { maxEntries: 1, valueSize: -1 }, { maxEntries: 1, valueSize: 0.5 });
    const einval = fc.constantFrom({ maxEntries: 0, valueSize: 8 }, { maxEntries: 1, valueSize: 0 });
    fc.assert(fc.property(bad, einval, fc.constantFrom('array' as const, 'hash' as const, 'lru_hash' as const), (d, z, type) => {
      const s = new Session();
      refused(s, ArgumentError, () => s.load({ name: 'o', maps: [{ name: 'm', type, taskWorkFields: 0, ...d }], globals: [], programs: [], subprogs: [] }));
      expectThrows(() => s.load({ name: 'o', maps: [{ name: 'm', type, taskWorkFields: 0, ...z }], globals: [], programs: [], subprogs: [] }), LoadError);
      expectIs(s.createMap({ type, ...z }), -22);
      expectIs(s.world.maps.size, 0);
      s.load({ name: 'o', maps: [{ name: 'm', type, taskWorkFields: 0, maxEntries: 1, valueSize: 1 }], globals: [], programs: [], subprogs: [] });
      expectIs(s.world.maps.size, 1);
    }));
  });

  test('mutants: the last reference of a file frees it: at once without a task, through its task_work from a task', () => {
    // SEMANTICS.md: "A file's count starts at 1 for its opener; … the last `fput` from task context
    // defers the final release through task_work (`____fput`). (M)"; README.md: "past the task's
    // exit-time run it is released at once".
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 }), fc.boolean(), (extra, fromTask) => {
      const { s, f } = session(4096n, false);
      s.createFile({ path: '/bin/app', content: content.zero(), size: 4096 });
      const pid = s.spawn({ comm: 't', exe: '/bin/app', script: [{ sys: 'sleep', ticks: 10 }] });
      for (let i = 0; i < extra; i += 1) s.get_file(f);
      if (fromTask) s.context = { sleepable: false, task: pid, label: 't' };
      for (let i = 0; i < extra; i += 1) {
        s.fput(f);
        expectIs(s.world.files.get(f)!.freed, false);
      }
      s.fput(f);
      expectIs(s.world.files.get(f)!.f_count, 0);
      expectIs(s.world.files.get(f)!.freed, !fromTask);
      // Its last reference is gone: a use now is a use after free, even before the release ran.
      refused(s, UseAfterFreeError, () => s.bpf_dynptr_from_file(f, 0, 'x'));
      expectIs(s.world.tasks.get(pid)!.works.queue.length, fromTask ? 1 : 0);
      s.context = { sleepable: false };
      s.simulate();
      expectIs(s.world.files.get(f)!.freed, true);
      expectIs(s.world.tasks.get(pid)!.works.queue.length, 0);
    }));
  });

  test('mutants: every refusal is a KernsimError, never a kernel errno thrown', () => {
    // README.md: "Kernel errors are return values"; misuses throw.
    fc.assert(fc.property(size, (sz) => {
      const { s } = session(sz, false);
      expect(() => s.bpf_dynptr_size('never')).toThrow(KernsimError);
    }));
  });
});
