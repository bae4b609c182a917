/**
 * Properties added to kill mutants (docs/properties.md, "Mutation testing"): the trace reader
 * `taskWorkOutcomes` (src/task_work/outcomes.ts), which P7 uses to count what became of each schedule,
 * checked against outcomes known from the rules: semantics/task_work.md §8.3 (a schedule that returned 0
 * on a live target runs its callback once), §4.5 / T3 (a target past its exit-time task_work run drops
 * the work silently), §2.5 / T9 (an ARRAY update or HASH delete cancels a PENDING work: the callback
 * never runs), §2.5 (-EBUSY while the slot is not STANDBY: not a schedule). Before the world runs, a
 * schedule has no outcome yet (`open`).
 */
import fc from 'fast-check';
import { describe, test } from 'vitest';
import { expectEqual, expectIs } from './fast_expect.ts';
import { content, Session, traceEvents } from '../src/index.ts';
import { syscallTaskWorkObject } from './scenarios.ts';
import { taskWorkOutcomes } from '../src/task_work/outcomes.ts';
import { worldCache } from './harness.ts';

type Fate = 'ran' | 'dropped' | 'cancelled';

describe('mutants: what became of each schedule, read from the trace', () => {
  /** The loaded object, its elements and the zombie, dead: one world per map type and number of slots (`worldCache`). */
  const before = worldCache();
  test('mutants: each slot\'s schedule is counted once under the outcome the rules give it; -EBUSY calls are not schedules', () => {
    fc.assert(fc.property(
      fc.constantFrom('array' as const, 'hash' as const, 'lru_hash' as const),
      fc.constantFrom<'signal' | 'resume'>('signal', 'resume'),
      fc.array(fc.record({ fate: fc.constantFrom<Fate>('ran', 'dropped', 'cancelled'), busy: fc.nat({ max: 2 }) }), { minLength: 1, maxLength: 3 }),
      (mapType, mode, slots) => {
        const s = new Session();
        s.world = before(`${mapType}/${slots.length}`, () => {
          const b = new Session();
          b.createFile({ path: '/bin/app', content: content.pattern(5), size: 4096 });
          b.load(syscallTaskWorkObject(mapType, slots.length));
          const id = b.asProgram('tw_direct', 'prog').map('twmap');
          if (mapType !== 'array') slots.forEach((_, key) => expectIs(b.mapUpdate(id, key, new Uint8Array(8)), 0));
          // The zombie exits (its exit-time task_work has run; it is not reaped) before the live target starts.
          const z = b.spawn({ comm: 'zombie', exe: '/bin/app', script: [] });
          b.simulate();
          expectIs(b.taskState(z), 'dead');
          return b.world;
        });
        const caller = s.asProgram('tw_direct', 'prog');
        const mapId = caller.map('twmap');
        const zombie = [...s.world.tasks.values()].find((t) => t.comm === 'zombie')!.pid;
        const alive = s.spawn({ comm: 'alive', exe: '/bin/app', script: [{ sys: 'sleep', ticks: 5 }] });
        slots.forEach((slot, key) => {
          const target = slot.fate === 'dropped' ? zombie : alive;
          const schedule = (): number => (mode === 'signal'
            ? caller.bpf_task_work_schedule_signal_impl(target, caller.slot('twmap', key), mapId, 'cb', null)
            : caller.bpf_task_work_schedule_resume_impl(target, caller.slot('twmap', key), mapId, 'cb', null));
          expectIs(schedule(), 0);
          for (let i = 0; i < slot.busy; i += 1) expectIs(schedule(), -16);
          if (slot.fate === 'cancelled') {
            if (mapType === 'array') expectIs(s.mapUpdate(mapId, key, new Uint8Array(8)), 0);
            else expectIs(s.mapDelete(mapId, key), 0);
          }
        });
        const count = (f: Fate): number => slots.filter((x) => x.fate === f).length;
        const pending = taskWorkOutcomes(traceEvents(s.world.trace));
        expectEqual(pending, { scheduled: slots.length, ran: 0, dropped: 0, cancelled: count('cancelled'), open: slots.length - count('cancelled'), cbRuns: 0 });
        s.simulate();
        const o = taskWorkOutcomes(traceEvents(s.world.trace));
        expectEqual(o, { scheduled: slots.length, ran: count('ran'), dropped: count('dropped'), cancelled: count('cancelled'), open: 0, cbRuns: count('ran') });
        expectIs(s.global('runs'), BigInt(count('ran')));
      },
    ));
  });
});
