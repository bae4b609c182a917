/**
 * A persistent append-only sequence: the trace, the scheduler's recorded choices, the tasks' syscall
 * results (`LinkedLog`). Every world keeps its own `Log` value, which never changes; appending gives a new one.
 *
 * Values are stored in chunks (arrays; a long transition's full-size ones are `Packed`, which no
 * append writes into again), newest chunk first, each pointing at the one before. A log
 * sees the first `length` values of its chunks. Appending to the newest log of a chunk pushes onto
 * that chunk in place: older logs sharing the chunk do not see the new values, since each sees only
 * up to its own length. Appending to an older log (a branch: another step from an earlier world)
 * starts a new chunk on top of the shared prefix. So an append costs O(values appended), whatever
 * the length, and a branch costs one chunk.
 *
 * The chunks are private (`#`): a log's fields, as `JSON.stringify` or a spread sees them, are only
 * what it holds (`toJSON` is its values).
 */
import { ArgumentError, KernsimError } from '../kernel/errors.ts';

/**
 * One chunk; `start` is the number of values before it. Its values are an array, or (the full-size
 * chunks of a long transition, `LogBuffer`) a `Packed`.
 */
interface Chunk<T, I extends T[] | Packed = T[] | Packed> {
  readonly items: I;
  readonly prev: Chunk<T, I> | null;
  readonly start: number;
}

/** The value at `i` of a chunk's values. */
const itemAt = <T>(items: T[] | Packed, i: number): T => (items instanceof Packed ? (items.at(i) as T) : (items[i] as T));

/**
 * A log as its parts: its newest chunk (null: empty), kept with the log's length (a `Log`'s fields),
 * appended to with `pushAt` and read with `valuesAt`. Opaque outside this file.
 */
export type LogHead<T> = Chunk<T> | null;

/**
 * The head of the log (`head`, `length`) with `x` appended (its length is then `length + 1`): `x` goes
 * into the head chunk in place when this log is the newest of it and the chunk has room, else into a
 * new chunk on top (older logs sharing the chunk stop at their own length).
 */
export function pushAt<T>(head: LogHead<T>, length: number, x: T): Chunk<T> {
  const open = openHead(head, length, 1);
  if (open !== null) {
    open.items.push(x);
    return open;
  }
  return { items: [x], prev: head, start: length };
}

/**
 * The head chunk of the log (`head`, `length`), when the log is the newest of it (its values end where
 * the chunk's do) and it has room for `n` more (`CHUNK` in all): they may then go into it in place
 * (older logs stop at their own length). Null otherwise. A chunk stops growing at `CHUNK` values: a log
 * stepped one transition at a time would otherwise keep its whole history in one array, which each
 * growth copies (and past 128 KiB makes anew in the large-object space).
 */
function openHead<T, I extends T[] | Packed>(head: Chunk<T, I> | null, length: number, n: number): Chunk<T, I & T[]> | null {
  if (head === null) return null;
  const items = head.items;
  if (items instanceof Packed) return null;
  return head.start + items.length === length && items.length + n <= CHUNK ? (head as Chunk<T, I & T[]>) : null;
}

/**
 * The values at indices `[start, end)` of the log (`head`, `length`), oldest first (a new array;
 * indices past the length are cut): its cost is theirs and that of the chunks from the newest to the
 * one that holds `start`.
 */
export function valuesAt<T>(head: LogHead<T>, length: number, start: number, end: number): T[] {
  const e = Math.min(end, length);
  const s = Math.min(start, e);
  const out = new Array<T>(e - s);
  let top = length;
  for (let c = head; c !== null && top > s; c = c.prev) {
    const hi = Math.min(top, e);
    const items = c.items;
    if (items instanceof Packed) for (let i = Math.max(c.start, s); i < hi; i += 1) out[i - s] = items.at(i - c.start) as T;
    else for (let i = Math.max(c.start, s); i < hi; i += 1) out[i - s] = items[i - c.start] as T;
    top = c.start;
  }
  return out;
}

/**
 * Where a log of linked lists is appended: its newest chunk and its length, in slots. One such log holds
 * the syscall results of every task of a world (`HotState.results`), each task's a list through it, of
 * which the task keeps only its newest entry's chunk and slot. So an append writes at the log's end,
 * which every task shares, and reads no memory of the task's own (with 1,000 tasks a chunk of each
 * task's, read at each of its results, is a cache miss).
 *
 * An entry is a value (a number in an int's range, or a bigint) and the slot of the entry before it in
 * its list. Most take one slot (`packEntry`): a small value and a near entry before it, or none; the
 * others take two, the link first (negative) and then the value. A long run keeps every entry, and the
 * collector copies what a run keeps: so a result costs four bytes, as a value alone would.
 *
 * A slot is found from the chunk of an entry after it, through the chunks before that one: so a task
 * appends only through the log of the world it is in (or of a later world of that world's history),
 * which holds every chunk its entries are in.
 */
export interface LinkedLog {
  readonly head: LinkedChunk;
  readonly length: number;
}

/** A chunk of a linked log (null: none), opaque outside this file. */
export type LinkedChunk = Chunk<unknown, unknown[]> | null;

/** The end of a linked log, which a transition moves as it appends (`appendLinked`). */
export interface LinkedEnd {
  head: LinkedChunk;
  length: number;
}

/** A linked log with no entry. */
export const EMPTY_LINKED: LinkedLog = Object.freeze({ head: null, length: 0 });

/** Values `-PACK_VALUES / 2 <= v < PACK_VALUES / 2` and distances below `2 ** PACK_BITS` pack into one slot. */
const PACK_VALUES = 16384;
const PACK_BITS = 15;
const PACK_MASK = (1 << PACK_BITS) - 1;

/**
 * An entry of `value` at slot `slot`, whose list's entry before it is at `prev` (-1: none), as one
 * non-negative integer below 2^29, which V8 keeps in an array's slot without a number object: the
 * value offset to be non-negative, shifted past the distance back to `prev` (0: none) in the low bits.
 * -1 when it does not fit.
 */
function packEntry(value: number | bigint, slot: number, prev: number): number {
  const distance = prev < 0 ? 0 : slot - prev;
  if (typeof value !== 'number' || value < -PACK_VALUES / 2 || value >= PACK_VALUES / 2 || distance > PACK_MASK) return -1;
  return ((value + PACK_VALUES / 2) << PACK_BITS) | distance;
}

/**
 * Append to the log at `log` (which moves to its new end) an entry of `value` whose list's entry before
 * it is at slot `prev` (-1: none); the new entry's slot (its chunk is then `log.head`). The entry goes
 * into the head chunk in place when `log` is the newest log of it and the chunk has room, as `pushAt`.
 */
export function appendLinked(log: LinkedEnd, value: number | bigint, prev: number): number {
  const slot = log.length;
  const packed = packEntry(value, slot, prev);
  const width = packed < 0 ? 2 : 1;
  const open = openHead(log.head, slot, width);
  if (open !== null) {
    if (packed >= 0) open.items.push(packed);
    else open.items.push(-prev - 2, value);
  } else log.head = { items: packed >= 0 ? [packed] : [-prev - 2, value], prev: log.head, start: slot };
  log.length = slot + width;
  return slot;
}

/**
 * The values of the list whose newest entry is at `slot` of `chunk` and which holds `count` entries,
 * oldest first (a new array): its cost is theirs and that of the chunks from `chunk` to the one that
 * holds the oldest.
 */
export function linkedValues(chunk: LinkedChunk, slot: number, count: number): (number | bigint)[] {
  const out = new Array<number | bigint>(count);
  let c = chunk;
  let s = slot;
  for (let i = count - 1; i >= 0; i -= 1) {
    while (c !== null && c.start > s) c = c.prev;
    if (c === null) throw new KernsimError(`a linked list of ${count} entries ends after ${count - 1 - i}`);
    const o = s - c.start;
    const x = c.items[o] as number;
    if (x >= 0) {
      const distance = x & PACK_MASK;
      out[i] = (x >> PACK_BITS) - PACK_VALUES / 2;
      s -= distance;
    } else {
      out[i] = c.items[o + 1] as number | bigint;
      s = -x - 2;
    }
  }
  return out;
}

export class Log<T> implements Iterable<T> {
  readonly #head: Chunk<T> | null;
  readonly #length: number;

  private constructor(head: Chunk<T> | null, length: number) {
    this.#head = head;
    this.#length = length;
  }

  static empty<T>(): Log<T> {
    return new Log<T>(null, 0);
  }

  get length(): number {
    return this.#length;
  }

  /** This log with `xs` appended (the array is read, not kept). */
  appendAll(xs: readonly T[]): Log<T> {
    const n = xs.length;
    if (n === 0) return this;
    const open = openHead(this.#head, this.#length, n);
    if (open !== null) {
      for (let i = 0; i < n; i += 1) open.items.push(xs[i] as T);
      return new Log(open, this.#length + n);
    }
    return new Log({ items: xs.slice(), prev: this.#head, start: this.#length }, this.#length + n);
  }

  /**
   * This log with `xs` appended, as `appendAll`, from an array its caller gives up (a transition's
   * events or choices): when the values need a chunk of their own, the array is that chunk, not copied.
   */
  appendOwned(xs: T[]): Log<T> {
    if (xs.length === 0 || openHead(this.#head, this.#length, xs.length) !== null) return this.appendAll(xs);
    return new Log({ items: xs, prev: this.#head, start: this.#length }, this.#length + xs.length);
  }

  /**
   * This log with a buffer's values appended (`LogBuffer.take`, which the buffer gives up): a single
   * chunk as `appendOwned`; several each become a chunk of the log as they are, none copied.
   */
  appendBuffer(buf: LogBuffer<T>): Log<T> {
    const one = buf.takeOne();
    if (one !== null) return this.appendOwned(one);
    const chunks = buf.take();
    let head = this.#head;
    let length = this.#length;
    for (const items of chunks) {
      head = { items, prev: head, start: length };
      length += items.length;
    }
    return new Log(head, length);
  }

  /** This log with `x` appended. */
  append(x: T): Log<T> {
    return new Log(pushAt(this.#head, this.#length, x), this.#length + 1);
  }

  /** The values in order, oldest first (a new array). */
  toArray(): T[] {
    return this.from(0);
  }

  /**
   * The values from index `start` on, oldest first (a new array): its cost is theirs and that of the
   * chunks that hold them, not the length of the log.
   */
  from(start: number): T[] {
    return this.slice(start, this.#length);
  }

  /**
   * The values at indices `[start, end)`, oldest first (a new array; indices past the length are
   * cut): its cost is theirs and that of the chunks from the newest to the one that holds `start`.
   */
  slice(start: number, end: number): T[] {
    if (!Number.isSafeInteger(start) || start < 0) throw new ArgumentError('start', start, 'an index (a non-negative integer)');
    if (!Number.isSafeInteger(end) || end < 0) throw new ArgumentError('end', end, 'an index (a non-negative integer)');
    return valuesAt(this.#head, this.#length, start, end);
  }

  /** The value at index `i` (undefined outside `[0, length)`). */
  at(i: number): T | undefined {
    if (!Number.isInteger(i) || i < 0 || i >= this.#length) return undefined;
    for (let c = this.#head; c !== null; c = c.prev) if (i >= c.start) return itemAt(c.items, i - c.start);
    return undefined;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.toArray()[Symbol.iterator]();
  }

  toJSON(): T[] {
    return this.toArray();
  }
}
// immer asks a value's prototype for its own `constructor` to decide whether it is a plain object to
// draft; without one the answer is an immediate no (a log is a value immer never walks).
delete (Log.prototype as { constructor?: unknown }).constructor;

/** Values a `LogBuffer` collects in its first chunk, which grows as an array does, before it fills chunks made at their full size. */
const FIRST_CHUNK = 256;
/** The size of each later chunk. */
const CHUNK = 4096;
/** The values other than int32s a chunk indexes, to keep each once (`Packed.#seen`). */
const SEEN = 256;

/**
 * A full-size chunk of a long transition's values (`LogBuffer`, past its first chunk), kept mostly
 * outside the collector's heap: its int32 values in an `Int32Array`, whose store the collector neither
 * copies nor scans, where a young array of 4,096 values is copied and scanned at each minor collection
 * until it is promoted. A run of 10,000 steps and more keeps its trace and choices in such chunks, most
 * of whose values (headers, times, pids, choices) are small integers.
 *
 * Any other value (a string, an object, a bigint, a number that is not an int32, -0) goes in `refs`:
 * its slot in `ints` holds its index there, and its bit in `isRef` is set. A value pushed again takes
 * the index it has (a run's records keep the same few values over and over: a task's syscall, from the
 * script its tasks share, a file's path, a work's function): `refs` keeps one slot a value, not one a
 * push. Every value reads back as it was pushed (`Object.is`; the values a `Map` takes for one key,
 * `SameValueZero`, are the same by `Object.is` but for 0 and -0, of which only -0 is ever here).
 */
class Packed {
  #ints = new Int32Array(CHUNK);
  /** One bit a slot: set when the slot's value is in `#refs`. Made at the first value not an int32. */
  #isRef: Uint32Array | null = null;
  #refs: unknown[] | null = null;
  /**
   * The index in `#refs` of each value there, while the chunk takes values (`seal` drops it): up to
   * `SEEN` of them, so that a chunk of values each pushed once (a long run's events of programs) does
   * not grow a large table for nothing; a value past those is looked up, and kept once a push.
   */
  #seen: Map<unknown, number> | null = null;
  /** How many values it holds (at most `CHUNK`, or, once `seal`ed, its size). */
  length = 0;

  push(x: unknown): void {
    const n = this.length;
    // An int32, but not -0 (which `| 0` makes 0).
    if (typeof x === 'number' && (x | 0) === x && (x !== 0 || 1 / x > 0)) this.#ints[n] = x;
    else {
      const refs = (this.#refs ??= []);
      const isRef = (this.#isRef ??= new Uint32Array(CHUNK >> 5));
      isRef[n >> 5] = (isRef[n >> 5] as number) | (1 << (n & 31));
      const seen = (this.#seen ??= new Map());
      let at = seen.get(x);
      if (at === undefined) {
        at = refs.length;
        refs.push(x);
        if (at < SEEN) seen.set(x, at);
      }
      this.#ints[n] = at;
    }
    this.length = n + 1;
  }

  at(i: number): unknown {
    const isRef = this.#isRef;
    const x = this.#ints[i] as number;
    return isRef !== null && ((isRef[i >> 5] as number) & (1 << (i & 31))) !== 0 ? (this.#refs as unknown[])[x] : x;
  }

  /** It takes no more values: its index of values goes, and its stores are cut to the values it holds. */
  seal(): void {
    this.#seen = null;
    const n = this.length;
    if (n === this.#ints.length) return;
    this.#ints = this.#ints.slice(0, n);
    if (this.#isRef !== null) this.#isRef = this.#isRef.slice(0, (n + 31) >> 5);
  }
}

/**
 * The values a transition appends to a log (its events, its choices), collected until it ends
 * (`Log.appendBuffer`). A transition of a few values keeps one array, as a push would (up to
 * `FIRST_CHUNK`); a long one (a `run` of many steps) then fills `Packed` chunks made at their full
 * size: no value is copied into a larger array as it grows, and what a long run keeps is, but for its
 * values that are not int32s, outside the collector's heap.
 */
export class LogBuffer<T> {
  /** The first chunk; none until the first value (a transition that appends nothing makes no array). */
  #first: T[] | null = null;
  /** The full-size chunks filled after the first, oldest first. */
  #full: Packed[] | null = null;
  /** The chunk being filled after the first (none while the first has room). */
  #cur: Packed | null = null;

  push(x: T): void {
    const cur = this.#cur;
    if (cur !== null) {
      if (cur.length < CHUNK) cur.push(x);
      else {
        cur.seal();
        (this.#full ??= []).push(cur);
        this.#startChunk(x);
      }
      return;
    }
    const first = this.#first;
    // The first chunk starts as an array of one, which V8 makes at that size: a transition of one value
    // (a kfunc call's event) does not pay for the 17 slots a push onto an empty array reserves.
    if (first === null) this.#first = [x];
    else if (first.length < FIRST_CHUNK) first.push(x);
    else this.#startChunk(x);
  }

  #startChunk(x: T): void {
    const next = new Packed();
    next.push(x);
    this.#cur = next;
  }

  /**
   * Its values when they are all in the first chunk (the buffer is then empty), without the list `take`
   * makes (a transition of a few values has one chunk); else null, and the buffer keeps them.
   */
  takeOne(): T[] | null {
    if (this.#cur !== null) return null;
    const first = this.#first ?? [];
    this.#first = null;
    return first;
  }

  /** The chunks, oldest first, each holding only values (the last cut to its count); the buffer is then empty. */
  take(): (T[] | Packed)[] {
    const out: (T[] | Packed)[] = [this.#first ?? []];
    if (this.#full !== null) for (const c of this.#full) out.push(c);
    const cur = this.#cur;
    if (cur !== null) {
      cur.seal();
      out.push(cur);
    }
    this.#first = null;
    this.#full = null;
    this.#cur = null;
    return out;
  }

  /** Its values in one array, oldest first; the buffer is then empty. */
  takeValues(): T[] {
    const out: T[] = [];
    for (const c of this.take()) for (let i = 0; i < c.length; i += 1) out.push(itemAt(c, i));
    return out;
  }
}
