/**
 * Footprints of scheduler steps and the independence relation of the partial-order reduction.
 *
 * A step's footprint is the set of objects it read and the set it wrote:
 * - reads: what the transition looked up (model/world/footprint.ts records every lookup of a hot
 *   table by key — `T101` task 101, `F3` file 3, `C2` the page cache of inode 2, `O2:5` the read in
 *   flight of page 5 of inode 2, … — a walk over a whole table as `T*`, and each part of the cold
 *   state it touched: `Mmaps`, `Mtwctx`, `Mprogs`, `Mhooks`, `MkernelMem`), plus what made the action
 *   ready and what every step depends on: the clock (`clock`), injected faults (`faults`, when there
 *   are any), the waiters of the page an I/O completes (`W…`), and for an event in the future (which
 *   moves the clock) every task and every read in flight (`T*`, `O*`: it is ready only while it is
 *   the earliest);
 * - writes: what differs between the worlds before and after the step, entry by entry (tables keep
 *   unchanged entries by identity), the irq_work queue's head (`Qhead`: an irq_work run, a handler's
 *   continuation) or tail (`Qtail`: one queued), the clock, the waiters of a page a task starts or stops
 *   waiting for, and the observations of history the expectations read (`obs:…`).
 *
 * Two steps a, b (of different actors: two tasks, a task and an I/O, …) taken from the same state
 * are independent when neither writes what the other reads or writes. Then b does not change
 * anything a looks at, so a does the same after b as before it (and stays ready), and the other way
 * round; each writes the same values to disjoint places, so a·b and b·a end in the same state. Ids
 * handed out by both (a file each) differ between the two orders only by name, which the canonical
 * key (canon.ts) ignores; `current` only orders the ready actions. A step that throws is dependent on
 * everything. That is the diamond the sleep sets of explore.ts need (Godefroid 1996, ch. 5).
 */
import type { World } from '../model/world/state.ts';
import type { TraceEvent } from '../model/world/trace.ts';
import { TRACK_TAG, type HotName } from '../model/world/tables.ts';

export interface Footprint {
  readonly reads: ReadonlySet<string>;
  readonly writes: ReadonlySet<string>;
  /** Dependent on every step (a step that threw). */
  readonly all: boolean;
}

export const EVERYTHING: Footprint = { reads: new Set(), writes: new Set(), all: true };

const HOT: readonly HotName[] = ['inodes', 'paths', 'files', 'pagecache', 'dynptrs', 'fileStates', 'io', 'rings', 'packets', 'tasks', 'objects', 'names'];
const COLD = ['maps', 'twctx', 'progs', 'hooks', 'kernelMem'] as const;

/** Whether `key` (a write) is in `set`, directly or as its table's whole (`T*`). */
function hits(key: string, set: ReadonlySet<string>): boolean {
  if (set.has(key)) return true;
  const c = key.charCodeAt(0);
  // One upper-case letter is a table's tag (TRACK_TAG); its `*` key stands for every entry.
  return c >= 65 && c <= 90 && set.has(`${key[0] as string}*`);
}

/** Whether two steps from the same state commute (see the module comment). */
export function independent(a: Footprint, b: Footprint): boolean {
  if (a.all || b.all) return false;
  for (const w of a.writes) if (hits(w, b.reads) || hits(w, b.writes)) return false;
  for (const w of b.writes) if (hits(w, a.reads)) return false;
  return true;
}

function pageWait(w: World, pid: number): string | null {
  const t = w.tasks.get(pid);
  if (t?.wait?.kind !== 'page') return null;
  return `W${w.inodes.get(t.wait.ino)?.path ?? t.wait.ino}:${t.wait.pgoff}`;
}

/** What the step from `a` to `b` wrote (see the module comment); `obs`: the observation keys its events wrote. */
export function writesOf(a: World, b: World, obs: readonly string[]): Set<string> {
  const out = new Set<string>(obs);
  if (a.clock.now !== b.clock.now) out.add('clock');
  if (a.faults !== b.faults) out.add('faults');
  for (const name of HOT) {
    const x = a[name] as ReadonlyMap<unknown, unknown>;
    const y = b[name] as ReadonlyMap<unknown, unknown>;
    if (x === y) continue;
    const tag = TRACK_TAG[name];
    // `forEach` rather than an iterator: the id tables walk their trie without a generator.
    y.forEach((v, k) => { if (x.get(k) !== v) out.add(`${tag}${String(k)}`); });
    x.forEach((_v, k) => { if (!y.has(k)) out.add(`${tag}${String(k)}`); });
  }
  // A task that starts or stops waiting for a page changes who the page's completion wakes.
  for (const key of [...out]) {
    if (key[0] !== 'T') continue;
    const pid = Number(key.slice(1));
    const before = pageWait(a, pid);
    const after = pageWait(b, pid);
    if (before !== after) {
      if (before !== null) out.add(before);
      if (after !== null) out.add(after);
    }
  }
  if (a.irqWork !== b.irqWork) {
    if (a.irqWork[0] !== b.irqWork[0]) out.add('Qhead');
    const old = new Set(a.irqWork);
    for (let i = 1; i < b.irqWork.length; i += 1) if (!old.has(b.irqWork[i] as never)) out.add('Qtail');
  }
  for (const f of COLD) if (a[f] !== b[f]) out.add(`M${f}`);
  return out;
}

/** What a step from `a` read: what its transition logged, the clock, the faults, and `extra` (what made it ready). */
export function readsOf(a: World, logged: ReadonlySet<string>, extra: readonly string[]): Set<string> {
  const out = new Set<string>(logged);
  out.add('clock');
  if (a.faults.alloc > 0 || a.faults.io.size > 0) out.add('faults');
  for (const e of extra) out.add(e);
  return out;
}

/** The step's new trace events (those `b` has beyond `a`'s). */
export function newEvents(a: World, b: World): TraceEvent[] {
  return b.trace.from(a.trace.length);
}
