/**
 * The run queue of a world (model/task/runqueue.ts), found without a walk of the world.
 *
 * A world holds the run queue of its history, which describes one world of it at a time (its
 * `owner`). A step from the owner takes it as it is. A step from another world of the same history
 * (an earlier world, a sibling: the explorer's branches, a Session rewound, a property replaying
 * schedules from one start) moves it to that world: the tasks and the reads in flight whose entries
 * differ between the two worlds are filed again, and the clock is moved. The tables are persistent
 * trees that share what did not change (idtable.ts, ordered.ts), and their differences are found
 * without visiting what they share. So such a step costs what the two worlds' differences cost, not
 * what the world holds: stepping the world of 16 or of 10,000 tasks again costs the same.
 *
 * A run queue is built anew instead when no world owns it (a run stopped by an error), when a
 * transition holds it (`held`), when the owner is not a world, and for a small world (`SMALL_WORLD`
 * tasks and reads or fewer), whose index costs about what a move costs to build. The new one is the
 * world's own: measured (bench/README.md, "Branches, stop 49"), a history's run queue moved back and
 * forth made each step of a one-task run about 0.3 µs slower than one built for the run, its maps
 * having aged in the collector's old generation.
 */
import { RunQueue } from '../task/runqueue.ts';
import type { ReadonlyTask } from '../task/types.ts';
import { IdTable } from './idtable.ts';
import { Table, type HotState } from './tables.ts';

/** Worlds of at most this many tasks and reads in flight get a run queue built anew (see above). */
export const SMALL_WORLD = 64;

/** What the run queue is filed from: a world's reads in flight, its tasks and its clock. */
type Indexed = Pick<HotState, 'io' | 'tasks' | 'clock'>;

/** The run queue `rq` of `world`'s history, made to describe `world`; or a new one built from it. */
export function runQueueFor(world: Indexed, rq: RunQueue): RunQueue {
  if (rq.owner === world) return rq;
  const from = rq.owner as Partial<Indexed> | null;
  if (from === null || rq.held || world.tasks.size + world.io.size <= SMALL_WORLD || !(from.io instanceof Table) || !(from.tasks instanceof IdTable) || typeof from.clock?.now !== 'number') {
    return RunQueue.of(world.io, world.tasks, world.clock.now);
  }
  rebase(rq, from as Indexed, world);
  rq.owner = world;
  return rq;
}

/** Move `rq` from describing `from` to describing `to`. */
function rebase(rq: RunQueue, from: Indexed, to: Indexed): void {
  // The clock first: the events filed below are due or pending by `to`'s clock.
  const now = to.clock.now;
  if (now > rq.now) rq.advance(now);
  else if (now < rq.now) rq.retreat(now);
  const io = to.io;
  Table.diffKeys(from.io, io, (key) => rq.syncIo(key, io.get(key), io.seqOf(key) ?? -1));
  const tasks = to.tasks;
  IdTable.diffKeys(from.tasks, tasks, (pid) => {
    const t = tasks.get(pid);
    if (t !== undefined) rq.syncTask(t);
    else rq.dropTask(pid, (from.tasks.get(pid) as ReadonlyTask).parent);
  });
}
