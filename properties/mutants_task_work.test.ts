/**
 * Properties added to kill mutants (docs/properties.md, "Mutation testing"): the schedule kfunc's
 * errors in their order, called directly (as a program would, with the calling program's context)
 * on targets that are alive, exited but not reaped, or reaped, with allocation failures injected
 * and with the map's last user reference gone. Rules: semantics/task_work.md §2.3, §2.4 (T0, T1, T3,
 * T9), §2.5, §3.1, §4.5; expected values are computed here from those rules.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { expectEqual, expectIs } from './fast_expect.ts';
import { content, createMap, KfuncUnavailableError, refSnapshot, Session, type MapDecl, type World } from '../src/index.ts';
import { syscallTaskWorkObject } from './scenarios.ts';
import { worldCache } from './harness.ts';

const EBADF = -9;
const ENOMEM = -12;
const EBUSY = -16;

interface Case {
  readonly mapType: 'array' | 'hash' | 'lru_hash';
  readonly mode: 'signal' | 'resume';
  /** The target: alive (about to exit), exited and not reaped (a zombie), or reaped. */
  readonly target: 'alive' | 'zombie' | 'reaped';
  readonly allocFailures: number;
  /** Drop the map's last user reference before the first schedule. */
  readonly closed: boolean;
  readonly version?: '6.19' | '7.0' | '7.2';
}

const arb: fc.Arbitrary<Case> = fc.record({
  mapType: fc.constantFrom('array' as const, 'hash' as const, 'lru_hash' as const),
  mode: fc.constantFrom('signal' as const, 'resume' as const),
  target: fc.constantFrom('alive' as const, 'zombie' as const, 'reaped' as const),
  allocFailures: fc.integer({ min: 0, max: 2 }),
  closed: fc.boolean(),
});

/** The world with the file and the object loaded, made once per map type and version (`worldCache`). */
const loaded = worldCache();

function loadedWorld(c: Case): World {
  const version = c.version ?? '6.19';
  return loaded(`${c.mapType}/${version}`, () => {
    const s = new Session({ version });
    s.createFile({ path: '/bin/app', content: content.pattern(5), size: 4096 });
    s.load(syscallTaskWorkObject(c.mapType), { unverified: version !== '6.19' });
    return s.world;
  });
}

function setup(c: Case) {
  const s = new Session({ version: c.version ?? '6.19' });
  s.world = loadedWorld(c);
  // The schedule is called by the loaded program (its prog->aux), from another context.
  const caller = s.asProgram('tw_direct', 'prog');
  const mapId = s.mapId('twmap');
  const progId = caller.prog;
  if (c.mapType !== 'array') expectIs(s.mapUpdate(mapId, 0, new Uint8Array(8)), 0);
  const pid = s.spawn({ comm: 'target', exe: '/bin/app', script: c.target === 'alive' ? [{ sys: 'sleep', ticks: 5 }] : [] });
  if (c.target !== 'alive') s.simulate(); // it exits: its exit-time task_work ran, it is a zombie
  if (c.target === 'reaped') s.reap(pid);
  if (c.closed) s.mapClose(mapId);
  if (c.allocFailures > 0) s.injectAllocFailure(c.allocFailures);
  // 7.x names the kfuncs without `_impl` and without the program argument (task_work.md §0).
  const plain = (c.version ?? '6.19') !== '6.19';
  const schedule = (): number => {
    const tw = caller.slot('twmap', 0);
    if (plain) return c.mode === 'signal' ? caller.bpf_task_work_schedule_signal(pid, tw, mapId, 'cb') : caller.bpf_task_work_schedule_resume(pid, tw, mapId, 'cb');
    return c.mode === 'signal' ? caller.bpf_task_work_schedule_signal_impl(pid, tw, mapId, 'cb', null) : caller.bpf_task_work_schedule_resume_impl(pid, tw, mapId, 'cb', null);
  };
  const slot = (): number | null => s.taskWork(mapId, 0)?.ctx ?? null;
  return { s, pid, progId, schedule, slot };
}

describe('mutants: bpf_task_work_schedule errors and outcomes', () => {
  test('mutants: -EBADF for a reaped target, -ENOMEM when the first context cannot be allocated, -EBUSY without user references; 0 otherwise', () => {
    // task_work.md §3.1, in order: "`bpf_task_acquire(task)` returns NULL (`task->rcu_users == 0`,
    // task being freed) → -EBADF"; "`tw->ctx` NULL and ctx allocation fails → -ENOMEM; task and prog
    // refs released"; "`map->usercnt == 0` (checked after STANDBY→PENDING) → -EBUSY; ctx detached and
    // freed (T9)". "A task that has exited but is not yet reaped (zombie) is accepted … The later
    // `task_work_add` then fails with -ESRCH and the work is dropped silently (T3)." §2.3: a schedule
    // takes a program and a task reference, released when the callback finishes or the work is dropped.
    fc.assert(fc.property(arb, (c) => {
      const { s, pid, progId, schedule, slot } = setup(c);
      let failures = c.allocFailures;
      // Up to three attempts: each failed allocation consumes one injected failure.
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const before = refSnapshot(s.world);
        const got = schedule();
        let want: number;
        if (c.target === 'reaped') want = EBADF;
        else if (failures > 0) want = ENOMEM;
        else if (c.closed) want = EBUSY;
        else want = 0;
        expectIs(got, want);
        const after = refSnapshot(s.world);
        if (want === ENOMEM) failures -= 1;
        if (want !== 0) {
          // Nothing is attached or held: no context (the usercnt path frees the one it made).
          expect(slot()).toBeNull();
          expectEqual(after.twctx, {});
          expectEqual(after.progs, before.progs);
          expectEqual(after.tasks, before.tasks);
          expectIs(after.irqWork, 0);
          continue;
        }
        // T0 + T1: a context (map-ref + cb-ref), PENDING, an irq_work; references on prog and task.
        const ctx = slot();
        expect(ctx).not.toBeNull();
        expectIs(s.taskWork(ctx!)?.state, 'PENDING');
        expectEqual(after.twctx, { [ctx!]: 2 });
        expectIs(after.progs[progId], before.progs[progId]! + 1);
        expectIs(after.tasks[pid], before.tasks[pid]! + 1);
        expectIs(after.irqWork, 1);
        // "While the state is not STANDBY, more schedule calls return -EBUSY" (§2.5), and change nothing.
        const w = s.world;
        expectIs(schedule(), EBUSY);
        expectEqual(refSnapshot(s.world), after);
        expectIs(s.taskWork(ctx!)?.state, w.twctx.get(ctx!)?.state);
        s.context = { sleepable: false, label: 'idle' };
        s.simulate();
        const end = refSnapshot(s.world);
        // Alive: the callback ran exactly once (§8.3a). Zombie: dropped silently (T3), never ran.
        expectIs(s.global('runs'), c.target === 'alive' ? 1n : 0n);
        expectIs(s.taskWork(ctx!)?.state, 'STANDBY');
        expectEqual(end.twctx, { [ctx!]: 1 });
        expectIs(end.progs[progId], 1);
        expectIs(end.tasks[pid], 0);
        expectIs(end.irqWork, 0);
        expectIs(end.taskWorks, 0);
        return;
      }
    }));
  });
});

describe('mutants: cancellation by the map, and which maps may hold a bpf_task_work', () => {
  const cancelArb = fc.record({
    mapType: fc.constantFrom('array' as const, 'hash' as const, 'lru_hash' as const),
    mode: fc.constantFrom('signal' as const, 'resume' as const),
    how: fc.constantFrom('update' as const, 'delete' as const, 'uref' as const),
  });

  test('mutants: an element update (ARRAY) or replace/delete (HASH) or the last user reference cancels a PENDING work: the callback never runs', () => {
    // task_work.md §2.5: "ARRAY: delete is not supported, but every update of an element calls
    // `bpf_obj_free_fields` … That cancels its pending task work and detaches the ctx; the next
    // schedule allocates a new ctx (T0)"; "HASH / LRU_HASH: deleting or replacing an element frees its
    // special fields (… → T9)"; "uref drop cancels everything"; "If T9 runs before T5 … the BPF
    // callback never runs". T9 from PENDING puts the map-ref at once; T2x puts the cb-ref (§2.4).
    fc.assert(fc.property(cancelArb, ({ mapType, mode, how }) => {
      const c: Case = { mapType, mode, target: 'alive', allocFailures: 0, closed: false };
      const { s, pid, progId, schedule, slot } = setup(c);
      const mapId = s.mapId('twmap');
      expectIs(schedule(), 0);
      const ctx = slot()!;
      s.context = { sleepable: false, label: 'user' };
      if (mapType === 'array' && how === 'delete') {
        // "ARRAY: delete is not supported": it fails and cancels nothing; the callback runs once.
        expect(s.bpf_map_delete_elem(mapId, 0)).toBeLessThan(0);
        expectIs(s.taskWork(ctx)?.state, 'PENDING');
        expectIs(slot(), ctx);
        s.simulate();
        expectIs(s.global('runs'), 1n);
        return;
      }
      if (how === 'update') expectIs(s.bpf_map_update_elem(mapId, 0, new Uint8Array(8), 0), 0);
      else if (how === 'delete') expectIs(s.bpf_map_delete_elem(mapId, 0), 0);
      else s.mapClose(mapId);
      expectIs(s.taskWork(ctx)?.state, 'FREED');
      expectEqual(refSnapshot(s.world).twctx, { [ctx]: 1 });
      if (how !== 'delete') expect(slot()).toBeNull();
      s.simulate();
      const end = refSnapshot(s.world);
      expectIs(s.global('runs'), 0n);
      expectEqual(end.twctx, {});
      expectIs(end.progs[progId], 1);
      expectIs(end.tasks[pid], 0);
      expectIs(end.taskWorks, 0);
    }));
  });

  test('mutants: only HASH, LRU_HASH and ARRAY may hold a bpf_task_work (libbpf makes a refused map again without BTF); two in one value leave the map without fields', () => {
    // task_work.md §2.1 / §3.3: "Any other map type whose value has a `bpf_task_work` fails
    // `map_check_btf` with **-EOPNOTSUPP** at map creation"; "a second one in the same value fails
    // BTF parsing with -E2BIG" — which syscall.c `map_check_btf` does not return: it checks the record
    // only when btf_parse_fields succeeded, so the map is made with BTF and no fields (kernel source
    // 7.2.13 over the M of task_work.md; the host tier agrees, case lo_retry_tw_use).
    // A ring buffer has no value type (value_size 0): its rules are in test/ringbuf.test.ts.
    const types = ['array', 'hash', 'lru_hash', 'percpu_array', 'percpu_hash'] as const;
    fc.assert(fc.property(fc.constantFrom(...types), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 4 }), (type, fields, maxEntries) => {
      const s = new Session();
      const decl: MapDecl = { name: 'm', type, maxEntries, valueSize: 8, taskWorkFields: fields };
      const want = fields === 1 && !['array', 'hash', 'lru_hash'].includes(type) ? -95 : 0;
      // BPF_MAP_CREATE with the value's BTF: the rule itself.
      const id = new Session().run((k) => createMap(k, decl));
      expectIs(want === 0 ? id > 0 : id, want === 0 ? true : want);
      // An object's load: libbpf makes a refused map again without BTF (the field then plain bytes);
      // two fields are plain bytes of a map made with BTF.
      s.load({ name: 'maps', maps: [decl], globals: [], programs: [], subprogs: [] });
      const m = [...s.world.maps.values()][0]!;
      expectIs(m.type, type);
      expectIs(m.usercnt, 1);
      expectIs(m.taskWork, want === 0 && fields === 1);
      expectIs(m.valueSize, want === 0 && fields <= 1 ? 8 : 8 + 8 * fields);
    }));
  });
});

describe('mutants: delivery, cancellation of a SCHEDULED work, versions', () => {
  test('mutants: TWA_SIGNAL breaks an interruptible sleep, TWA_RESUME waits for it to end; a live target runs every work', () => {
    // task_work.md §4.2: "`TWA_SIGNAL` … interruptible sleeps are broken"; "`TWA_RESUME` … **A blocked
    // task is not woken**; the work waits until the task's current kernel path ends naturally";
    // §8.3: a schedule that returned 0 leads to one callback run when the target is alive (only a
    // target past its exit-time task_work run drops works: §4.5).
    fc.assert(fc.property(fc.constantFrom('signal' as const, 'resume' as const), fc.integer({ min: 200, max: 1000 }), fc.integer({ min: 1, max: 3 }), fc.constantFrom('6.19' as const, '7.0' as const), (mode, ticks, times, version) => {
      const c: Case = { mapType: 'array', mode, target: 'alive', allocFailures: 0, closed: false, version };
      const { s, pid } = setup(c);
      // Replace the target by a long sleeper.
      const sleeper = s.spawn({ comm: 'sleeper', exe: '/bin/app', script: [{ sys: 'sleep', ticks }, { sys: 'sleep', ticks }] });
      let guard = 0;
      while (s.taskState(sleeper) !== 'interruptible' && guard++ < 100) s.step();
      expectIs(s.taskState(sleeper), 'interruptible');
      const start = s.world.clock.now;
      const p = s.asProgram('tw_direct', 'prog');
      const mapId = p.map('twmap');
      for (let i = 0; i < times; i += 1) {
        const tw = p.slot('twmap', 0);
        // 7.0 renamed the kfuncs (task_work.md §0); the two names differ only in the notify mode.
        const got = version === '7.0'
          ? (mode === 'signal' ? p.bpf_task_work_schedule_signal(sleeper, tw, mapId, 'cb') : p.bpf_task_work_schedule_resume(sleeper, tw, mapId, 'cb'))
          : (mode === 'signal' ? p.bpf_task_work_schedule_signal_impl(sleeper, tw, mapId, 'cb', null) : p.bpf_task_work_schedule_resume_impl(sleeper, tw, mapId, 'cb', null));
        expectIs(got, 0);
        // Run until this work's callback has run.
        guard = 0;
        while (s.global('runs') !== BigInt(i + 1) && guard++ < 200 && s.step());
        expectIs(s.global('runs'), BigInt(i + 1));
        const enters = s.events().filter((e) => e.kind === 'prog' && e.op === 'enter' && e.pid === sleeper);
        const at = enters[enters.length - 1]!.t;
        if (i === 0) {
          if (mode === 'signal') expect(at).toBeLessThan(start + ticks);
          else expect(at).toBeGreaterThanOrEqual(start + ticks);
        }
      }
      void pid;
    }));
  });

  test('mutants: cancelling a SCHEDULED work goes through irq_work, unlinks the queued work, and the callback never runs', () => {
    // task_work.md §2.4 T9: "If prev == SCHEDULED: queue irq_work `bpf_task_work_cancel_scheduled`.
    // That handler cancels the task_work (on success puts the cb-ref), then puts the map-ref";
    // §3.2: "`task_work_cancel(task, cb)` … true if `cb` was still queued and was unlinked".
    // The last put runs in that irq_work handler, with interrupts disabled. 7.2.13's
    // `bpf_task_work_ctx_put` (kernel/bpf/helpers.c) then queues `bpf_task_work_destroy` as an
    // irq_work instead of resetting the context (dropping its program and task references) and
    // freeing it there; 6.18's frees it at once (§2.3), which the model keeps for 6.19.
    fc.assert(fc.property(fc.constantFrom('array' as const, 'hash' as const, 'lru_hash' as const), fc.constantFrom('signal' as const, 'resume' as const), fc.boolean(), fc.constantFrom('6.19' as const, '7.2' as const), (mapType, mode, uref, version) => {
      const c: Case = { mapType, mode, target: 'alive', allocFailures: 0, closed: false, version };
      const { s, pid, progId, schedule, slot } = setup(c);
      const mapId = s.mapId('twmap');
      expectIs(schedule(), 0);
      const ctx = slot()!;
      s.context = { sleepable: false, label: 'user' };
      expectIs(s.step(), true); // the irq_work runs first (the ordinary schedule): T2 + T4
      expectIs(s.taskWork(ctx)?.state, 'SCHEDULED');
      expectIs(refSnapshot(s.world).taskWorks, 1);
      if (uref) s.mapClose(mapId);
      else if (mapType === 'array') expectIs(s.bpf_map_update_elem(mapId, 0, new Uint8Array(8), 0), 0);
      else expectIs(s.bpf_map_delete_elem(mapId, 0), 0);
      expectIs(s.taskWork(ctx)?.state, 'FREED');
      // Both references are still held until the irq_work runs.
      expectEqual(refSnapshot(s.world).twctx, { [ctx]: 2 });
      expectIs(refSnapshot(s.world).irqWork, 1);
      expectIs(s.step(), true); // bpf_task_work_cancel_scheduled
      if (version === '7.2') {
        // Count 0, not yet destroyed: the context still holds the program and the task.
        const held = refSnapshot(s.world);
        expectIs(held.taskWorks, 0);
        expectEqual(held.twctx, { [ctx]: 0 });
        expectIs(held.irqWork, 1);
        expectIs(held.progs[progId], 2);
        expectIs(held.tasks[pid], 1);
        expectIs(s.step(), true); // bpf_task_work_destroy
      }
      const mid = refSnapshot(s.world);
      expectIs(mid.taskWorks, 0);
      expectEqual(mid.twctx, {});
      expectIs(mid.irqWork, 0);
      expectIs(mid.progs[progId], 1);
      expectIs(mid.tasks[pid], 0);
      const work = `bpf_task_work_callback(ctx#${ctx})`;
      expectIs(s.events().some((e) => e.kind === 'task_work' && e.op === 'cancel' && e.work === work), true);
      s.simulate();
      expectIs(s.global('runs'), 0n);
      expectIs(s.events().some((e) => e.kind === 'task_work' && e.op === 'run' && e.work === work), false);
    }));
  });

  test('mutants: a reaped target still referenced by a pending context can be scheduled on; 7.0 names replace the _impl ones', () => {
    // task_work.md §3.1: "`bpf_task_acquire(task)` returns NULL (`task->rcu_users == 0` …) → -EBADF":
    // a pending context holds a task reference (§2.3), so the count is not 0 yet. §0: 7.0 renames
    // the kfuncs to `bpf_task_work_schedule_{signal,resume}(task, tw, map, cb)` and "The `_impl`
    // kfuncs were removed from the kfunc set"; 6.18/6.19 have only the `_impl` names.
    fc.assert(fc.property(fc.constantFrom('6.19' as const, '7.0' as const, '7.2' as const), fc.constantFrom('signal' as const, 'resume' as const), (version, mode) => {
      const s = new Session({ version });
      s.createFile({ path: '/bin/app', content: content.pattern(5), size: 4096 });
      const obj = syscallTaskWorkObject('array');
      s.load({ ...obj, maps: [{ ...obj.maps[0]!, maxEntries: 2 }] }, { unverified: true });
      const p = s.asProgram('tw_direct', 'prog');
      const mapId = p.map('twmap');
      const pid = s.spawn({ comm: 'zombie', exe: '/bin/app', script: [] });
      s.simulate();
      const plain = version !== '6.19';
      const call = (name: 'impl' | 'plain', key: number): number => {
        const tw = p.slot('twmap', key);
        if (name === 'impl') {
          return mode === 'signal' ? p.bpf_task_work_schedule_signal_impl(pid, tw, mapId, 'cb', null) : p.bpf_task_work_schedule_resume_impl(pid, tw, mapId, 'cb', null);
        }
        return mode === 'signal' ? p.bpf_task_work_schedule_signal(pid, tw, mapId, 'cb') : p.bpf_task_work_schedule_resume(pid, tw, mapId, 'cb');
      };
      expect(() => call(plain ? 'impl' : 'plain', 0)).toThrow(KfuncUnavailableError);
      const use = plain ? 'plain' : 'impl';
      expectIs(call(use, 0), 0); // a zombie is accepted
      s.reap(pid);
      expectIs(call(use, 1), 0); // reaped, but slot 0's context holds a task reference
      s.simulate(); // both dropped silently (T3): the target is past its exit-time run
      expectIs(s.global('runs'), 0n);
      expectIs(refSnapshot(s.world).tasks[pid], 0);
      expectIs(call(use, 0), EBADF); // now no reference is left
    }));
  });
});
