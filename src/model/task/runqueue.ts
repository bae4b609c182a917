/**
 * The scheduler's index of a world (kernel/sched/core.c keeps a run queue; kernel/time keeps timers
 * ordered by expiry; mm/filemap.c a wait queue per folio): which tasks are runnable, which timed
 * events are pending (page reads in flight, sleeps), ordered as the scheduler lists its ready
 * actions, which tasks wait for each page, and each task's children (kernel/fork.c links a new task
 * into its parent's `children` list; `do_wait` walks that list). With it a scheduler step costs the
 * same whatever the number of tasks and events, instead of sorting every task and scanning every
 * event, and a `wait` looks at the children of its task, not at every task.
 *
 * It holds nothing a world does not: it is derived from the world's tasks, reads in flight and clock,
 * and describes one world at a time (`owner`). A transition from that world updates it in place from
 * what the transition changed (`syncTask`, `syncIo`, `advance`) and hands it to the new world. A step
 * from another world of the same history (a branch: an earlier world, a sibling) moves it to that
 * world: it is updated from the tasks and reads the two worlds do not share, and from the clock
 * (`retreat` when that world's is earlier; world/rebase.ts finds what differs without a walk of what
 * is shared). So the worlds stay values: an index is never read for a world it does not describe.
 *
 * Orders (they are the scheduler's, src/scheduler/step.ts):
 * - reads in flight in the order they were submitted: the order of the world's `io` table, whose
 *   insertion number (`seq`) each read is filed with, so that a read filed again keeps its place;
 * - timers and tasks by pid (the order of the world's `tasks` table: pids only grow);
 * - an event is due when its time is at or before the clock; the pending ones are grouped by time.
 */
import { ioKey, type IoRequest } from '../fs/types.ts';
import { BEFORE_EXIT_HOOK, HAS_BPF_WORK, MAY_CALL, stopMarks } from './stops.ts';
import type { Pid, ReadonlyTask } from './types.ts';

const EMPTY_TREE = new Int32Array(1);
/** The most words an `IntSet` keeps in arrays of their own (a tree of 9 slots: 36 bytes, under V8's 64 for a typed array in its heap). */
const SMALL_WORDS = 8;
const EMPTY_WORDS = new Int32Array(0);

/** How many bits of the 32-bit word `v` are set. */
function popcount(v: number): number {
  let x = v - ((v >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/**
 * A set of small non-negative integers with its k-th element in O(log n): a bit for each integer, 32 to
 * a word, and a Fenwick tree over the words' counts. A step of the scheduler looks up a task this way
 * at random (`kth`); the tree has a node for 32 integers, not one for each, so with 10,000 tasks the
 * set is 4 KB (a tree of a node an integer and a byte each was 80 KB), which the core's first cache holds.
 */
export class IntSet {
  // Made on the first add (a run queue is built for every branch; most of its sets stay empty).
  /** Bit `x & 31` of word `x >>> 5` is set when `x` is present. */
  #words = EMPTY_WORDS;
  /** `tree[i]` counts the elements of the words `(i - (i & -i), i]`, 1-based; the number of words is a power of two. */
  #tree = EMPTY_TREE;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  has(x: number): boolean {
    const w = x >>> 5;
    return w < this.#words.length && (((this.#words[w] as number) >>> (x & 31)) & 1) === 1;
  }

  add(x: number): void {
    const w = x >>> 5;
    if (w >= this.#words.length) this.#grow(w);
    const bit = 1 << (x & 31);
    const old = this.#words[w] as number;
    if ((old & bit) !== 0) return;
    this.#words[w] = old | bit;
    this.#size += 1;
    this.#bump(w, 1);
  }

  delete(x: number): void {
    if (!this.has(x)) return;
    const w = x >>> 5;
    this.#words[w] = (this.#words[w] as number) & ~(1 << (x & 31));
    this.#size -= 1;
    this.#bump(w, -1);
  }

  /**
   * The element with `r` elements below it (`0 <= r < size`). A descent from the root's halves to the
   * word that holds it (`tree[words]` counts every element, more than `r`), without a branch on the
   * data: which half holds it is a random choice in a run, which a predicted branch would guess wrong
   * half the time. Then the word's bits below it are cleared, lowest first, and its own is the lowest.
   */
  kth(r: number): number {
    const tree = this.#tree;
    let pos = 0;
    let rem = r;
    // The number of words is a power of two: `pos + step` stays below it.
    for (let step = this.#words.length >> 1; step > 0; step >>= 1) {
      const t = tree[pos + step] as number;
      // All ones when this part holds no more than `rem` elements (the element is past it), else 0.
      const past = ~((rem - t) >> 31);
      pos += step & past;
      rem -= t & past;
    }
    let v = this.#words[pos] as number;
    for (; rem > 0; rem -= 1) v &= v - 1;
    return (pos << 5) + 31 - Math.clz32(v & -v);
  }

  /** How many elements are below `x` (`x >= 0`). */
  rank(x: number): number {
    const w = x >>> 5;
    if (w >= this.#words.length) return this.#size;
    const tree = this.#tree;
    let n = popcount((this.#words[w] as number) & ((1 << (x & 31)) - 1));
    for (let i = w; i > 0; i -= i & -i) n += tree[i] as number;
    return n;
  }

  #bump(w: number, d: number): void {
    const tree = this.#tree;
    const n = this.#words.length;
    for (let i = w + 1; i <= n; i += i & -i) tree[i] = (tree[i] as number) + d;
  }

  /** Room for word `w`: the number of words doubled past it (4 at least: 128 integers). */
  #grow(w: number): void {
    let n = Math.max(this.#words.length, 4);
    while (n <= w) n *= 2;
    // A run queue is built for every branch of an exploration and for every case started again from
    // one world, and most of its sets hold a few small pids. Up to 8 words, two arrays of their own:
    // V8 keeps a typed array of at most 64 bytes in its heap, made as cheaply as any object (some 50
    // ns for both), where a typed array over an `ArrayBuffer` has its memory allocated outside the
    // heap (400 ns or more, bench/README.md "Cases, stop 61"). Past that, one buffer for both: one
    // allocation outside the heap rather than two.
    let tree: Int32Array<ArrayBuffer>;
    let words: Int32Array<ArrayBuffer>;
    if (n <= SMALL_WORDS) {
      tree = new Int32Array(n + 1);
      words = new Int32Array(n);
    } else {
      const buf = new ArrayBuffer(4 * (2 * n + 1));
      tree = new Int32Array(buf, 0, n + 1);
      words = new Int32Array(buf, 4 * (n + 1), n);
    }
    if (this.#size !== 0) {
      words.set(this.#words);
      // Linear build: each node adds itself to its parent.
      for (let i = 1; i <= n; i += 1) {
        tree[i] = (tree[i] as number) + popcount(words[i - 1] as number);
        const parent = i + (i & -i);
        if (parent <= n) tree[parent] = (tree[parent] as number) + (tree[i] as number);
      }
    }
    this.#words = words;
    this.#tree = tree;
  }
}

/** A page read in flight, as the index files it. */
export interface IoEvent {
  readonly key: string;
  readonly ino: number;
  readonly pgoff: number;
  readonly at: number;
  /** Its place in the order of submission: its insertion number in the world's `io` table. */
  readonly seq: number;
  readonly req: IoRequest;
  due: boolean;
}

/** The events pending at one future time: reads by submission (`seq`), timers by pid. */
export interface EventGroup {
  readonly at: number;
  readonly ios: IoEvent[];
  readonly timers: number[];
  sorted: boolean;
}

/** The events that fell due at one time (see `RunQueue.#dueAt`). */
interface DueRecord {
  readonly ios: IoEvent[];
  readonly timers: Pid[];
  live: number;
}

const runnableState = (s: string): boolean => s === 'runnable' || s === 'running' || s === 'exiting';

/** The reads in flight of a world, each with its insertion number in the `io` table (world/tables.ts `Table.forEachSeq`). */
export interface IoSource {
  forEachSeq(fn: (req: IoRequest, key: string, seq: number) => void): void;
}

export class RunQueue {
  /** The world this index describes (see the file comment). */
  owner: object | null = null;
  /**
   * A transition has taken this index and has not ended: it may be changing it, so it must not be
   * moved to another world (a run queue is then built for that one). Set and cleared by world/tables.ts.
   */
  held = false;
  /** The clock of that world. */
  now: number;
  readonly runnable = new IntSet();
  /**
   * In an smp world (`smp`), the runnable tasks by their marks (stops.ts `stopMarks`): those whose
   * next step may run a BPF program, those in `do_exit` before its tracepoint, those with a BPF
   * task_work queued or taken. Empty in a world of one CPU, which has no smp actions.
   */
  readonly mayCall = new IntSet();
  readonly beforeExitHook = new IntSet();
  readonly hasBpfWork = new IntSet();
  readonly dueIo = new IntSet();
  readonly dueTimers = new IntSet();
  readonly #ios = new Map<string, IoEvent>();
  readonly #bySeq = new Map<number, IoEvent>();
  /**
   * The time of each task's pending timer, by pid (arrays by pid here: pids are small and dense); it
   * is due when `dueTimers` has the pid, else it is in the group of its time.
   */
  readonly #timers: (number | undefined)[] = [];
  readonly #future = new Map<number, EventGroup>();
  /** The times of the future groups, a binary min-heap (a time whose group is gone is skipped). */
  readonly #times: number[] = [];
  /**
   * The due events by the time they fell due at, for `retreat` to find those after a time without a
   * walk of every due event. A record keeps an event that has left the due sets since (`live`
   * counts those that have not); it goes when none is left.
   */
  readonly #dueAt = new Map<number, DueRecord>();
  /** The times of `#dueAt`, negated, in a binary min-heap: the latest first (a time whose record is gone is skipped). */
  readonly #dueTimes: number[] = [];
  /** The page each task waits for, by pid. */
  readonly #pageOf: (string | undefined)[] = [];
  readonly #waiters = new Map<string, Set<Pid>>();
  /**
   * The children of each task not yet reaped, by parent pid, in the order they were forked: by pid,
   * since a later fork has a higher pid (a sorted array: a child filed again, when the index moves to
   * an earlier world, goes back to its place).
   */
  readonly #children = new Map<Pid, Pid[]>();
  /**
   * The parent under which each task is filed, by pid (undefined: under none). Two worlds of a
   * history may give one pid different parents (each branch forked its own task with the next pid).
   */
  readonly #parentOf: (Pid | undefined)[] = [];

  /** `smp`: the world's (`World.smp`, which never changes): whether tasks are filed by their marks too. */
  constructor(
    now: number,
    readonly smp: boolean,
  ) {
    this.now = now;
  }

  /** An index of a world: its reads in flight (with their places in its `io` table), its tasks, its clock. */
  static of(io: IoSource, tasks: { eachValue(fn: (t: ReadonlyTask) => void): void }, now: number, smp: boolean): RunQueue {
    const rq = new RunQueue(now, smp);
    io.forEachSeq((req, key, seq) => rq.syncIo(key, req, seq));
    tasks.eachValue((t) => rq.syncTask(t));
    return rq;
  }

  /** File task `t` by its state: runnable, asleep on a timer, or waiting for a page; as a child of its parent until reaped. */
  syncTask(t: ReadonlyTask): void {
    const wait = t.wait;
    const runnable = runnableState(t.state);
    this.#file(
      t.pid, t.parent, !t.reaped, runnable,
      t.state === 'interruptible' && wait?.kind === 'timer' ? wait.until : null,
      t.state === 'io_wait' && wait?.kind === 'page' ? ioKey(wait.ino, wait.pgoff) : null,
    );
    if (this.smp) this.#mark(t.pid, runnable ? stopMarks(t) : 0);
  }

  /** Task `pid` (a child of `parent`) is in no table: file it nowhere (the index moved to a world without it). */
  dropTask(pid: Pid, parent: Pid | null): void {
    this.#file(pid, parent, false, false, null, null);
    if (this.smp) this.#mark(pid, 0);
  }

  #mark(pid: Pid, marks: number): void {
    if ((marks & MAY_CALL) !== 0) this.mayCall.add(pid);
    else this.mayCall.delete(pid);
    if ((marks & BEFORE_EXIT_HOOK) !== 0) this.beforeExitHook.add(pid);
    else this.beforeExitHook.delete(pid);
    if ((marks & HAS_BPF_WORK) !== 0) this.hasBpfWork.add(pid);
    else this.hasBpfWork.delete(pid);
  }

  #file(pid: Pid, parent: Pid | null, child: boolean, runnable: boolean, until: number | null, page: string | null): void {
    this.#fileChild(parent, pid, child);
    if (runnable) this.runnable.add(pid);
    else this.runnable.delete(pid);

    const at = this.#timers[pid];
    if (at !== undefined && at !== until) {
      this.#timers[pid] = undefined;
      if (this.dueTimers.has(pid)) {
        this.dueTimers.delete(pid);
        this.#leftDue(at);
      } else this.#leave(at, 'timers', pid);
    }
    if (until !== null && at !== until) {
      setAt(this.#timers, pid, until);
      if (until <= this.now) {
        this.dueTimers.add(pid);
        const r = this.#dueRecord(until);
        r.timers.push(pid);
        r.live += 1;
      } else {
        const g = this.#group(until);
        g.timers.push(pid);
        g.sorted = false;
      }
    }

    const was = this.#pageOf[pid] ?? null;
    if (was !== page) {
      if (was !== null) {
        const set = this.#waiters.get(was);
        set?.delete(pid);
        if (set?.size === 0) this.#waiters.delete(was);
        this.#pageOf[pid] = undefined;
      }
      if (page !== null) {
        let set = this.#waiters.get(page);
        if (set === undefined) {
          set = new Set();
          this.#waiters.set(page, set);
        }
        set.add(pid);
        setAt(this.#pageOf, pid, page);
      }
    }
  }

  /**
   * File the read in flight under `key` (`req`, filed at `seq` in the world's `io` table), or its end
   * (`req` undefined).
   */
  syncIo(key: string, req: IoRequest | undefined, seq: number): void {
    const cur = this.#ios.get(key);
    if (cur !== undefined && cur.req === req && cur.seq === seq) return;
    if (cur !== undefined) {
      this.#ios.delete(key);
      this.#bySeq.delete(cur.seq);
      if (cur.due) {
        this.dueIo.delete(cur.seq);
        this.#leftDue(cur.at);
      } else this.#leave(cur.at, 'ios', cur);
    }
    if (req === undefined) return;
    const ev: IoEvent = { key, ino: req.ino, pgoff: req.pgoff, at: req.completesAt, seq, req, due: req.completesAt <= this.now };
    this.#ios.set(key, ev);
    this.#bySeq.set(seq, ev);
    if (ev.due) {
      this.dueIo.add(seq);
      const r = this.#dueRecord(ev.at);
      r.ios.push(ev);
      r.live += 1;
    } else insertInOrder(this.#group(ev.at).ios, ev, bySeq);
  }

  /** The clock moved to `now`: the events at or before it are due. */
  advance(now: number): void {
    this.now = now;
    const times = this.#times;
    while (times.length > 0 && (times[0] as number) <= now) {
      const at = heapPop(times);
      const g = this.#future.get(at);
      if (g === undefined) continue;
      this.#future.delete(at);
      for (const ev of g.ios) {
        ev.due = true;
        this.dueIo.add(ev.seq);
      }
      for (const pid of g.timers) this.dueTimers.add(pid);
      // The group's lists become the record of what fell due at its time.
      const r = this.#dueAt.get(at);
      if (r === undefined) {
        this.#dueAt.set(at, { ios: g.ios, timers: g.timers, live: g.ios.length + g.timers.length });
        this.#pushDueTime(at);
      } else {
        for (const ev of g.ios) r.ios.push(ev);
        for (const pid of g.timers) r.timers.push(pid);
        r.live += g.ios.length + g.timers.length;
      }
    }
  }

  /**
   * The clock moved back to `now` (the index moves to an earlier world): the due events after it are
   * pending again, in the groups of their times. Costs O(log n) for each event that fell due after
   * `now`, as `advance` does for each event it makes due.
   */
  retreat(now: number): void {
    this.now = now;
    const times = this.#dueTimes;
    while (times.length > 0 && -(times[0] as number) > now) {
      const at = -heapPop(times);
      const r = this.#dueAt.get(at);
      if (r === undefined) continue;
      this.#dueAt.delete(at);
      let g: EventGroup | null = null;
      // The record may list events that left the due sets since: only those still there go back.
      for (const ev of r.ios) {
        if (!ev.due || this.#ios.get(ev.key) !== ev) continue;
        this.dueIo.delete(ev.seq);
        ev.due = false;
        insertInOrder((g ??= this.#group(at)).ios, ev, bySeq);
      }
      for (const pid of r.timers) {
        if (this.#timers[pid] !== at || !this.dueTimers.has(pid)) continue;
        this.dueTimers.delete(pid);
        g ??= this.#group(at);
        g.timers.push(pid);
        g.sorted = false;
      }
    }
  }

  /** The `i`-th due read, in submission order. */
  dueIoAt(i: number): IoEvent {
    return this.#bySeq.get(this.dueIo.kth(i)) as IoEvent;
  }

  /** The time of the timer of task `pid`. */
  timerAt(pid: Pid): number {
    return this.#timers[pid] ?? -1;
  }

  /** The earliest group of pending events after the clock; null when none (see `timersOf` for its order). */
  nextGroup(): EventGroup | null {
    const times = this.#times;
    while (times.length > 0) {
      const g = this.#future.get(times[0] as number);
      if (g !== undefined && g.ios.length + g.timers.length > 0) return g;
      heapPop(times);
    }
    return null;
  }

  /** The timers of group `g` by pid (sorted when asked for, not on every change: counting needs no order). */
  timersOf(g: EventGroup): readonly number[] {
    if (!g.sorted) {
      g.timers.sort(byNumber);
      g.sorted = true;
    }
    return g.timers;
  }

  /** The tasks waiting for page `key`, by pid. */
  waitersOf(key: string): Pid[] {
    const set = this.#waiters.get(key);
    return set === undefined ? [] : [...set].sort((a, b) => a - b);
  }

  /** The children of task `parent` not yet reaped, in the order they were forked. */
  childrenOf(parent: Pid): Iterable<Pid> {
    return this.#children.get(parent) ?? NO_CHILDREN;
  }

  /** The record of the events due at time `at`, made when there is none. */
  #dueRecord(at: number): DueRecord {
    let r = this.#dueAt.get(at);
    if (r === undefined) {
      r = { ios: [], timers: [], live: 0 };
      this.#dueAt.set(at, r);
      this.#pushDueTime(at);
    }
    return r;
  }

  #pushDueTime(at: number): void {
    const times = this.#dueTimes;
    // Times whose records are gone stay in the heap until popped; when they are most of it (a long
    // run never moves back), it is made again from the records.
    if (times.length > 2 * this.#dueAt.size + 32) {
      times.length = 0;
      for (const t of this.#dueAt.keys()) if (t !== at) heapPush(times, -t);
    }
    heapPush(times, -at);
  }

  /** An event due since time `at` left the due sets. */
  #leftDue(at: number): void {
    const r = this.#dueAt.get(at);
    if (r === undefined) return;
    r.live -= 1;
    if (r.live === 0) this.#dueAt.delete(at);
  }

  #fileChild(parent: Pid | null, pid: Pid, filed: boolean): void {
    const now = filed && parent !== null ? parent : undefined;
    const was = this.#parentOf[pid];
    if (was === now) return;
    if (was !== undefined) {
      const list = this.#children.get(was) as Pid[];
      list.splice(list.indexOf(pid), 1);
      if (list.length === 0) this.#children.delete(was);
    }
    if (now === undefined) {
      this.#parentOf[pid] = undefined;
      return;
    }
    const list = this.#children.get(now);
    if (list === undefined) this.#children.set(now, [pid]);
    else insertInOrder(list, pid, itself);
    setAt(this.#parentOf, pid, now);
  }

  #group(at: number): EventGroup {
    let g = this.#future.get(at);
    if (g === undefined) {
      g = { at, ios: [], timers: [], sorted: true };
      this.#future.set(at, g);
      // A time may still be in the heap with its group gone (`nextGroup` skips those, `retreat`
      // files events at it again): it is pushed once more, and the stale entry is skipped.
      heapPush(this.#times, at);
    }
    return g;
  }

  /** Take `x` out of list `list` of the group at time `at`; the group goes once it holds no event. */
  #leave<L extends 'ios' | 'timers'>(at: number, list: L, x: EventGroup[L][number]): void {
    const g = this.#future.get(at);
    if (g === undefined) return;
    const xs: unknown[] = g[list];
    const i = xs.indexOf(x);
    if (i >= 0) xs.splice(i, 1);
    if (g.ios.length + g.timers.length === 0) this.#future.delete(at);
  }

}

const byNumber = (a: number, b: number): number => a - b;
const NO_CHILDREN: readonly Pid[] = Object.freeze([]);

/**
 * Insert `x` into `a`, kept ascending by `key`: a parent's children by pid, a group's reads by `seq`.
 * A new one is usually the highest (a new pid, a new read), so the place is looked for from the end.
 */
function insertInOrder<T>(a: T[], x: T, key: (y: T) => number): void {
  const k = key(x);
  let i = a.length;
  while (i > 0 && key(a[i - 1] as T) > k) i -= 1;
  a.splice(i, 0, x);
}
const bySeq = (ev: IoEvent): number => ev.seq;
const itself = (pid: Pid): number => pid;

/** `a[i] = v`, filling the holes before `i` first (an array written far past its end becomes a dictionary). */
function setAt<T>(a: (T | undefined)[], i: number, v: T): void {
  while (a.length < i) a.push(undefined);
  a[i] = v;
}

function heapPush(h: number[], x: number): void {
  let i = h.length;
  h.push(x);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if ((h[p] as number) <= x) break;
    h[i] = h[p] as number;
    i = p;
  }
  h[i] = x;
}

function heapPop(h: number[]): number {
  const top = h[0] as number;
  const last = h.pop() as number;
  const n = h.length;
  if (n === 0) return top;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const c = r < n && (h[r] as number) < (h[l] as number) ? r : l;
    if ((h[c] as number) >= last) break;
    h[i] = h[c] as number;
    i = c;
  }
  h[i] = last;
  return top;
}
