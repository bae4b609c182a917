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
 * transition holds it (`held`), when the owner is not a world, and when building one costs about
 * what the move would: when a quarter or more of the world's tasks and reads differ (a run started
 * again from its first world, whose end differs in every task; the sibling states of a small
 * scenario). The new index is the world's own, and that is worth having: measured
 * (bench/README.md, "Branches, stop 49"), the steps of runs started again and again from one world
 * were 0.3 µs slower (one task) and 15 to 20 % slower (1,000 tasks) with the history's index moved
 * back to their start than with one built for each run; the index's maps, long-lived, cost V8's
 * collector more.
 */
import { RunQueue } from '../task/runqueue.ts';
import type { ReadonlyTask } from '../task/types.ts';
import { IdTable } from './idtable.ts';
import { Table, type HotState } from './tables.ts';

/** A run queue is moved when fewer than one in this many of the world's tasks and reads differ. */
export const MOVE_BELOW = 4;

/** What the run queue is filed from: a world's reads in flight, its tasks and its clock. */
type Indexed = Pick<HotState, 'io' | 'tasks' | 'clock' | 'smp'>;

/** The run queue `rq` of `world`'s history, made to describe `world`; or a new one built from it. */
export function runQueueFor(world: Indexed, rq: RunQueue): RunQueue {
  if (rq.owner === world) return rq;
  const from = rq.owner as Partial<Indexed> | null;
  if (from === null || rq.held || rq.smp !== world.smp || !(from.io instanceof Table) || !(from.tasks instanceof IdTable) || typeof from.clock?.now !== 'number') return built(world);
  const o = from as Indexed;
  // A world of fewer tasks and reads than `MOVE_BELOW`: one difference is enough to build anew, and
  // two tables that are not the same value nearly always differ (a transition makes a table anew only
  // when it writes to it); a new index is right whatever they hold. So it is built without looking
  // for the differences first (a case started again from a world of one task, bench/README.md
  // "Cases, stop 61").
  if (world.tasks.size + world.io.size < MOVE_BELOW && (o.io !== world.io || o.tasks !== world.tasks)) return built(world);
  const keys: string[] = [];
  const pids: number[] = [];
  Table.diffKeys(o.io, world.io, (key) => { keys.push(key); });
  IdTable.diffKeys(o.tasks, world.tasks, (pid) => { pids.push(pid); });
  if ((keys.length + pids.length) * MOVE_BELOW >= world.tasks.size + world.io.size) return built(world);
  rebase(rq, o, world, keys, pids);
  rq.owner = world;
  return rq;
}

/** A run queue built anew for `world`. */
function built(world: Indexed): RunQueue {
  return RunQueue.of(world.io, world.tasks, world.clock.now, world.smp);
}

/** Move `rq` from describing `from` to describing `to`, whose reads `keys` and tasks `pids` differ. */
function rebase(rq: RunQueue, from: Indexed, to: Indexed, keys: readonly string[], pids: readonly number[]): void {
  // The clock first: the events filed below are due or pending by `to`'s clock.
  const now = to.clock.now;
  if (now > rq.now) rq.advance(now);
  else if (now < rq.now) rq.retreat(now);
  const io = to.io;
  // Every read that differs leaves its place before any is filed: two branches number their reads
  // each from the same point on, so a read of `to` may have the insertion number a different read of
  // `from` has (filing it first, then taking the other out, took it out as well).
  for (const key of keys) rq.syncIo(key, undefined, -1);
  for (const key of keys) {
    const req = io.get(key);
    if (req !== undefined) rq.syncIo(key, req, io.seqOf(key) ?? -1);
  }
  const tasks = to.tasks;
  for (const pid of pids) {
    const t = tasks.get(pid);
    if (t !== undefined) rq.syncTask(t);
    else rq.dropTask(pid, (from.tasks.get(pid) as ReadonlyTask).parent);
  }
}
