/**
 * The canonical key of a world's semantic state: two worlds with the same key behave the same from
 * here on, whatever history led to them, so the explorer explores one of them.
 *
 * What is left out, and why it cannot change what happens next:
 * - the trace and the recorded choices (history; what the expectations read of the history is
 *   added by the explorer as its observation, see explore.ts);
 * - the id counters (`ids`) and the ids themselves where they only name objects: files, frames,
 *   works, task_work contexts and FILE dynptr states are renamed in the order a fixed walk of the
 *   world first meets them (tasks by pid, their descriptors, stacks and task_work lists; the
 *   irq_work queue; the maps; the dynptr slots), so `open` in task 101 then in task 102 and the other
 *   way round give the same key; inodes are named by their path; pids, maps, programs and objects
 *   are made before the run and keep their ids;
 * - `current`, the task that ran last: it orders the ready actions (which index is the default),
 *   not what any of them does;
 * - tombstones nothing refers to (a freed file, context or FILE dynptr state that no register,
 *   descriptor, work or slot names): no code path can reach them again;
 * - the LRU clock of an LRU hash map, replaced by the rank of each element's last use (eviction
 *   compares last uses only);
 * - what never changes after the scenario is built (scripts, loaded programs, budgets).
 *
 * Anything else is written out. A value the walk does not know how to rename (a sleeping kfunc's
 * continuation, a syscall or field added later) is written as it is, with the renaming of every id
 * kind appended: then equal keys mean equal raw ids too, so the key stays sound (it merges less).
 *
 * The walk writes the canonical text (`canonicalText`) as words, one per UTF-16 code unit. The key
 * (`canonicalKey`) is the 128-bit MurmurHash3 (hash.ts) of the same words, where some parts are a
 * marker word (above any code unit) and the part's own 128-bit digest: a value written as it is
 * (`gen`: a read's continuation, an inode's content, a syscall), an array inside such a value, a page
 * cache, the reads in flight, a byte array longer than 32 bytes (file contents, program memory; the
 * text has its length and digest there too). A part's digest is computed once and cached by the
 * identity of the value in a WeakMap (the world never changes a value it holds, so it stays right);
 * an array that begins with the elements of one digested before (a read's pieces, a few more each
 * step) goes on from that one's digest state, so only its new elements are written. Two more things
 * are kept between calls, by the objects they were written from: the stream's state after the text's
 * head (the clock, the inodes and page caches, the paths, the reads in flight: nothing renamed), which
 * the rest goes on from; and each task's words, written again as they are when the task, the names
 * given before it and the entries it names first are the same (`TaskPart`). Nothing else is kept, and
 * what is kept is what the walk would write again: the key is the same in every process.
 *
 * So the key is a hash tree of the text: equal texts give equal keys, and equal keys mean equal texts
 * unless two 128-bit digests collide (the odds of hash.ts, per pair of distinct parts). Equal texts
 * split into the same parts: each part is at a fixed place of the text's grammar (an array starts with
 * `[`, an object written as it is with `{`, `M{` or `S[`, which no other value there does), so two
 * worlds get the same key exactly when they get the same text — the equivalence of the text, which
 * test/explore.test.ts checks on explored worlds.
 */
import { digestHex, murmur128Digest, murmur128Words, streamDigest, streamFeed, streamStart, type Digest128, type MurmurStream } from './hash.ts';
import type { World } from '../model/world/state.ts';
import type { Inode } from '../model/fs/types.ts';
import type { Activity, Frame, ReadonlyTask, RegVal, Work, WorkFn } from '../model/task/types.ts';
import { runsOf, type MappingState } from '../pagecache/index.ts';
import type { ReadonlyLoadedObject } from '../model/program/loaded.ts';
import { inLinkOrder } from '../model/maps/buckets.ts';

type Kind = 'file' | 'frame' | 'work' | 'ctx' | 'fstate';
const KINDS: readonly Kind[] = ['file', 'frame', 'work', 'ctx', 'fstate'];

/** Marker words of the key's stream (above 0xffff, so never a code unit of the text). */
const MARK_VALUE = 0x10000;
const MARK_PAGES = 0x10001;
const MARK_BYTES = 0x10002;
const MARK_IO = 0x10003;

interface Cached { readonly d: Digest128; readonly raw: boolean }
/** Digests of byte arrays longer than 32 bytes, of values written as they are, of page caches (by identity). */
const digests = new WeakMap<Uint8Array, Digest128>();
const generic = new WeakMap<object, Cached>();
const mappings = new WeakMap<object, Digest128>();
/** The digest so far of an array digested before, before its `]`, by its last element (`Walk.array`). */
const prefixes = new WeakMap<object, { readonly items: readonly unknown[]; readonly stream: MurmurStream; readonly raw: boolean }>();

/** `a` starts with the first `n` elements of `p` (holes apart). */
function samePrefix(p: readonly unknown[], a: readonly unknown[], n: number): boolean {
  if (p === a) return true;
  for (let i = 0; i < n; i += 1) {
    const x = a[i];
    if (x !== p[i] || (x === undefined && !(i in a))) return false;
  }
  return true;
}

function bytesDigest(b: Uint8Array): Digest128 {
  let d = digests.get(b);
  if (d === undefined) {
    d = murmur128Digest(b);
    digests.set(b, d);
  }
  return d;
}

/** A short, stable text for a byte array: its bytes when short, else its length and digest. */
export function bytesText(b: Uint8Array): string {
  if (b.length <= 32) {
    let s = 'x';
    for (const x of b) s += (x < 16 ? '0' : '') + x.toString(16);
    return s;
  }
  return `#${b.length}:${digestHex(bytesDigest(b))}`;
}

const HEX = '0123456789abcdef';

/** A run of words: code units of the text, and markers with digests (an array of small integers). */
class Out {
  w: number[] = [];
  n = 0;

  /** A text. */
  s(str: string): void {
    const w = this.w;
    let n = this.n;
    for (let i = 0; i < str.length; i += 1) w[n++] = str.charCodeAt(i);
    this.n = n;
  }

  /** One code unit. */
  c(code: number): void {
    this.w[this.n++] = code;
  }

  /** A number as `String(x)` writes it. */
  num(x: number): void {
    if (!(x >= 0 && x <= 0xffffffff && Math.floor(x) === x)) {
      this.s(String(x));
      return;
    }
    const w = this.w;
    if (x < 10) {
      w[this.n++] = 48 + x;
      return;
    }
    let digits = 1;
    for (let y = x; y >= 10; y = Math.floor(y / 10)) digits += 1;
    // Left to right (the array grows at its end only).
    let p = 1;
    for (let i = 1; i < digits; i += 1) p *= 10;
    let y = x;
    let n = this.n;
    for (; p >= 1; p /= 10) {
      const d = Math.floor(y / p);
      w[n++] = 48 + d;
      y -= d * p;
    }
    this.n = n;
  }

  /** A bigint as `String(x)` writes it (without the `n`). */
  big(x: bigint): void {
    const n = Number(x); // exact up to 2^53
    if (n >= 0 && n <= 0xffffffff) this.num(n);
    else this.s(x.toString());
  }

  /** A string as `JSON.stringify` writes it. */
  json(str: string): void {
    const w = this.w;
    const start = this.n;
    let n = start;
    w[n++] = 34; // "
    for (let i = 0; i < str.length; i += 1) {
      const c = str.charCodeAt(i);
      // JSON.stringify escapes `"`, `\`, control characters and lone surrogates.
      if (c < 0x20 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) {
        this.n = start;
        this.s(JSON.stringify(str));
        return;
      }
      w[n++] = c;
    }
    w[n++] = 34;
    this.n = n;
  }

  /** Any value as a template literal writes it (`${x}`). */
  t(x: unknown): void {
    if (typeof x === 'number') this.num(x);
    else if (typeof x === 'string') this.s(x);
    else this.s(`${x as string}`);
  }

  /** A marker and a digest. */
  digest(mark: number, d: Digest128): void {
    const w = this.w;
    let n = this.n;
    w[n++] = mark;
    w[n++] = d[0] as number;
    w[n++] = d[1] as number;
    w[n++] = d[2] as number;
    w[n++] = d[3] as number;
    this.n = n;
  }

  /** Words written before (`words`). */
  words(words: readonly number[]): void {
    const w = this.w;
    let n = this.n;
    for (let i = 0; i < words.length; i += 1) w[n++] = words[i] as number;
    this.n = n;
  }

  /** Move the words from `from` to the end before those from `at` (`at` ≤ `from`). */
  rotate(at: number, from: number): void {
    if (at === from || from === this.n) return;
    const moved = this.w.slice(at, this.n);
    const k = this.n - from;
    for (let i = 0; i < k; i += 1) this.w[at + i] = moved[from - at + i] as number;
    for (let i = 0; i < from - at; i += 1) this.w[at + k + i] = moved[i] as number;
  }

  /** The words `[from, to)` as text (code units only: the text form has no markers). */
  text(from = 0, to = this.n): string {
    let s = '';
    for (let i = from; i < to; i += 8192) s += String.fromCharCode(...this.w.slice(i, Math.min(to, i + 8192)));
    return s;
  }
}

/**
 * World fields the walk knows; any other is written generically (and marks the key raw). `features`
 * (the kernel's rules) never changes after the world is made, `names` is an index of the objects'
 * and the maps' names (world/names.ts), `scripts` one copy of each script tasks were spawned with
 * (each task's own is written with it), and `results` the log the tasks' syscall results are kept in
 * (each task's are written with it): none is written.
 */
const KNOWN_WORLD = new Set([
  'version', 'features', 'maps', 'twctx', 'progs', 'hooks', 'kernelMem', 'clock', 'inodes', 'paths', 'files', 'pagecache', 'dynptrs',
  'fileStates', 'io', 'rings', 'packets', 'tasks', 'objects', 'names', 'scripts', 'ids', 'faults', 'irqWork', 'current', 'budgets', 'smp',
  'cpus', 'hashrnd', 'allocated', 'results', 'trace',
]);
const KNOWN_TASK = new Set(['pid', 'tgid', 'comm', 'mm', 'fds', 'userMem', 'state', 'flags', 'usage', 'reaped', 'parent', 'forking', 'works', 'script', 'pc', 'stack', 'wait']);
const KNOWN_FRAME = new Set(['id', 'prog', 'fn', 'callback', 'pc', 'regs', 'resume', 'sleepable', 'ctxFile', 'twCtx', 'stack', 'spills', 'callers', 'entry', 'ctxPacket']);
const KNOWN_CALLER = new Set(['id', 'fn', 'pc', 'regs', 'stack', 'spills', 'dst', 'loop']);
const KNOWN_CTX = new Set(['id', 'state', 'refcnt', 'freed', 'map', 'slot', 'prog', 'task', 'mode', 'callback', 'work']);
const KNOWN_FILE = new Set(['id', 'ino', 'f_count', 'freed', 'fmode', 'append', 'pos', 'ra']);
const KNOWN_FSTATE = new Set(['id', 'file', 'ino', 'offset', 'size', 'maySleep', 'folio', 'freed']);
const KNOWN_MAP = new Set(['id', 'name', 'type', 'maxEntries', 'valueSize', 'taskWork', 'layout', 'noPrealloc', 'flags', 'hashrnd', 'frozen', 'usercnt', 'elems', 'links', 'slots', 'free', 'fresh', 'extra', 'lru', 'qs', 'bloom']);
// An element's hash is its key's under the map's hashrnd (maps/buckets.ts): written by the two.
const KNOWN_ELEM = new Set(['slot', 'hash', 'seq']);
const KNOWN_SLOT = new Set(['key', 'data', 'tw', 'kptrs']);
/** Syscalls whose `scratch` is a plain number (bytes, a time, a return value) in every stage. */
const NUMERIC_SCRATCH = new Set(['read', 'close', 'fadvise_dontneed', 'sleep', 'set_global', 'map_update', 'map_delete', 'map_close', 'map_get_next_key', 'task_work_add', 'user_write', 'prog_test_run', 'ringbuf_consume', 'exit', 'fork', 'wait']);

const byKey = <K extends number | string, V>(a: readonly [K, V], b: readonly [K, V]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/**
 * The walk. Where the text puts a part after one the walk must name first (a task's descriptors come
 * after its `mm`, but are named before it; a frame's callers likewise), the later part is written
 * first and the two are swapped (`Out.rotate`), so the names are those of the text's fixed order.
 */
class Walk {
  o = new Out();
  raw = false;
  readonly names: Record<Kind, Map<number, number>> = { file: new Map(), frame: new Map(), work: new Map(), ctx: new Map(), fstate: new Map() };
  /** Whether the last `name` met the id for the first time. */
  fresh = false;
  /** What the task being written looked up (`taskPart`), while one is recorded. */
  rec: TaskPart | null = null;
  readonly inodes: InodeList;
  readonly pathOf: ReadonlyMap<number, string>;
  readonly h = [0, 0, 0, 0];
  /** Object.prototype has no enumerable property (`value` may walk a plain object with `for … in`). */
  readonly forIn: boolean;

  /** `text`: write the canonical text itself (values in full, byte arrays as `bytesText`), not the key's stream. */
  constructor(readonly w: World, readonly text: boolean) {
    this.inodes = inodeList(w.inodes);
    this.forIn = true;
    for (const k in Object.prototype) if (k !== undefined) this.forIn = false;
    this.pathOf = this.inodes.pathOf;
  }

  /** Write the canonical name of id `raw` of `kind` (`fresh` tells whether it is new: write the object then). */
  name(kind: Kind, raw: number): void {
    const m = this.names[kind];
    let c = m.get(raw);
    this.fresh = c === undefined;
    if (c === undefined) {
      c = m.size;
      m.set(raw, c);
    }
    if (this.rec !== null) {
      this.rec.kinds.push(kind);
      this.rec.raws.push(raw);
      this.rec.names.push(this.fresh ? -1 - c : c);
    }
    this.o.c(kind.charCodeAt(0));
    this.o.num(c);
  }

  path(ino: number): void {
    const p = this.pathOf.get(ino);
    if (p === undefined) {
      this.raw = true;
      this.o.s('ino');
      this.o.num(ino);
      return;
    }
    this.o.s(p);
  }

  pathText(ino: number): string {
    const p = this.pathOf.get(ino);
    if (p === undefined) {
      this.raw = true;
      return `ino${ino}`;
    }
    return p;
  }

  bytes(b: Uint8Array): void {
    const o = this.o;
    if (b.length <= 32) {
      const w = o.w;
      let n = o.n;
      w[n++] = 120; // 'x'
      for (let i = 0; i < b.length; i += 1) {
        const x = b[i] as number;
        w[n++] = HEX.charCodeAt(x >>> 4);
        w[n++] = HEX.charCodeAt(x & 15);
      }
      o.n = n;
    } else if (this.text) o.s(bytesText(b));
    else {
      o.digest(MARK_BYTES, bytesDigest(b));
      o.num(b.length);
    }
  }

  /** Any value, as it is (ids unrenamed: the caller decides whether that makes the key raw). */
  gen(v: unknown): void {
    const o = this.o;
    if (v === null) { o.c(78); return; } // N
    switch (typeof v) {
      case 'undefined': o.c(85); return; // U
      case 'boolean': o.c(v ? 84 : 70); return; // T, F
      case 'number': o.num(v); return;
      case 'bigint': o.big(v); o.c(110); return;
      case 'string': o.json(v); return;
      case 'function': this.raw = true; o.s('fn'); return;
      case 'symbol': o.s(String(v)); return;
      default: break;
    }
    if (v instanceof Uint8Array) { this.bytes(v); return; }
    if (this.text) { this.value(v); return; }
    const c = Array.isArray(v) ? this.array(v) : this.cached(v);
    if (c.raw) this.raw = true;
    o.digest(MARK_VALUE, c.d);
  }

  /** A part of a value: in the key, arrays by their digest and other objects in full (`value`). */
  inner(v: unknown): void {
    if (typeof v !== 'object' || v === null || this.text || v instanceof Uint8Array || Array.isArray(v)) this.gen(v);
    else this.value(v);
  }

  /**
   * The digest of an array (the text `[a,b,…]`, its elements by `inner`), once per array. An array
   * that starts with the elements of one digested before (a read's pieces, one more page each step)
   * goes on from where that one's digest stopped before its `]`: only the new elements are written.
   */
  array(a: readonly unknown[]): Cached {
    const hit = generic.get(a);
    if (hit !== undefined) return hit;
    let from = 0;
    let st: MurmurStream | null = null;
    let raw = false;
    for (let i = a.length - 1; i >= 0; i -= 1) {
      const x = a[i];
      if (typeof x !== 'object' || x === null) continue;
      const p = prefixes.get(x);
      if (p !== undefined && p.items.length === i + 1 && samePrefix(p.items, a, i + 1)) {
        from = i + 1;
        st = p.stream.slice();
        raw = p.raw;
        break;
      }
    }
    const before = this.raw;
    this.raw = raw;
    const o = this.o;
    const start = o.n;
    if (st === null) {
      st = streamStart();
      o.c(91); // [
    }
    let holes = false;
    for (let i = from; i < a.length; i += 1) {
      if (i > 0) o.c(44);
      if (i in a) this.inner(a[i]);
      else holes = true;
    }
    streamFeed(st, o.w, start, o.n);
    o.n = start;
    raw = this.raw;
    this.raw = before || raw;
    const last = a[a.length - 1];
    if (!holes && typeof last === 'object' && last !== null) prefixes.set(last, { items: a, stream: st.slice(), raw });
    o.c(93); // ]
    streamFeed(st, o.w, start, start + 1);
    o.n = start;
    const d = [0, 0, 0, 0];
    streamDigest(st, d);
    const c = { d, raw };
    generic.set(a, c);
    return c;
  }

  /** The digest of an object written as it is, computed once per object. */
  cached(v: object): Cached {
    const hit = generic.get(v);
    if (hit !== undefined) return hit;
    let c: Cached;
    const toArray = (v as { toArray?: unknown }).toArray;
    if (!Array.isArray(v) && !(v instanceof Set) && !isMapLike(v) && typeof toArray === 'function') {
      // Written as its array: the same digest as that array's (a value at the same place with the same text).
      const a = (toArray as () => unknown).call(v);
      if (Array.isArray(a)) c = this.array(a);
      else if (typeof a === 'object' && a !== null && !(a instanceof Uint8Array)) c = this.cached(a);
      else c = this.digestOf(() => this.gen(a));
    } else c = this.digestOf(() => this.value(v));
    generic.set(v, c);
    return c;
  }

  /** Write something at the end, take its digest and whether it was raw, and remove it. */
  digestOf(write: () => void): Cached {
    const before = this.raw;
    this.raw = false;
    const o = this.o;
    const start = o.n;
    write();
    const d = [0, 0, 0, 0];
    murmur128Words(o.w, start, o.n, d);
    o.n = start;
    const raw = this.raw;
    this.raw = before || raw;
    return { d, raw };
  }

  /** An object written as it is, its parts by `gen`. */
  value(v: object): void {
    const o = this.o;
    if (Array.isArray(v)) {
      o.c(91); // [
      for (let i = 0; i < v.length; i += 1) {
        if (i > 0) o.c(44);
        if (i in v) this.inner(v[i]);
      }
      o.c(93);
    } else if (v instanceof Set) {
      o.s('S[');
      let first = true;
      for (const x of v) {
        if (!first) o.c(44);
        first = false;
        this.inner(x);
      }
      o.c(93);
    } else if (isMapLike(v)) {
      o.s('M{');
      let first = true;
      for (const [k, x] of v.entries()) {
        if (!first) o.c(44);
        first = false;
        this.inner(k);
        o.c(58); // :
        this.inner(x);
      }
      o.c(125);
    } else if (typeof (v as { toArray?: unknown }).toArray === 'function') {
      this.gen((v as { toArray(): unknown }).toArray());
    } else {
      o.c(123); // {
      let first = true;
      if (this.forIn && Object.getPrototypeOf(v) === Object.prototype) {
        // A plain object: `for … in` meets its own keys in the order of `Object.keys`, without making
        // their list (Object.prototype has no enumerable property: checked below, once per walk).
        for (const k in v) {
          if (!first) o.c(44);
          first = false;
          o.s(k);
          o.c(61); // =
          this.inner((v as Record<string, unknown>)[k]);
        }
      } else {
        for (const k of Object.keys(v)) {
          if (!first) o.c(44);
          first = false;
          o.s(k);
          o.c(61); // =
          this.inner((v as Record<string, unknown>)[k]);
        }
      }
      o.c(125);
    }
  }

  /** The fields of `o` not in `known`, written generically (raw: they may hold ids), each after `sep` (default `;`). */
  extra(x: object, known: ReadonlySet<string>, sep = 59): void {
    if (this.forIn) {
      // `for … in` meets the own keys in the order of `Object.keys` without making their list (this
      // runs for every object the walk writes), then inherited ones, which `Object.keys` leaves out.
      for (const k in x) if (!known.has(k) && Object.hasOwn(x, k)) this.extraField(x, k, sep);
      return;
    }
    for (const k of Object.keys(x)) if (!known.has(k)) this.extraField(x, k, sep);
  }

  extraField(x: object, k: string, sep: number): void {
    this.raw = true;
    this.o.c(sep);
    this.o.s(k);
    this.o.c(61);
    this.gen((x as Record<string, unknown>)[k]);
  }

  file(id: number | null): void {
    const o = this.o;
    if (id === null) { o.c(78); return; }
    this.name('file', id);
    if (!this.fresh) return;
    const f = this.w.files.get(id);
    if (this.rec !== null) this.rec.looked.push(f);
    if (f === undefined) { o.s('(?'); o.num(id); o.c(41); return; }
    o.c(40);
    this.path(f.ino);
    o.c(44); o.t(f.f_count);
    o.s(f.freed ? ',1,' : ',0,'); o.t(f.fmode);
    o.s(f.append ? ',1,' : ',0,'); o.big(f.pos);
    o.s('n,'); this.gen(f.ra);
    this.extra(f, KNOWN_FILE);
    o.c(41);
  }

  ctx(id: number | null): void {
    const o = this.o;
    if (id === null) { o.c(78); return; }
    this.name('ctx', id);
    if (!this.fresh) return;
    const c = this.w.twctx.get(id);
    if (this.rec !== null) this.rec.looked.push(c);
    if (c === undefined) { o.s('(?'); o.num(id); o.c(41); return; }
    o.c(40); o.t(c.state);
    o.c(44); o.t(c.refcnt);
    o.s(c.freed ? ',1,m' : ',0,m'); o.t(c.map);
    o.s(',s'); o.t(c.slot);
    o.s(',p'); o.t(c.prog ?? 'N');
    o.s(',t'); o.t(c.task ?? 'N');
    o.c(44); o.t(c.mode);
    o.c(44); o.t(c.callback ?? 'N');
    o.c(44);
    if (c.work === null) o.c(78);
    else this.name('work', c.work);
    this.extra(c, KNOWN_CTX);
    o.c(41);
  }

  fstate(id: number): void {
    const o = this.o;
    this.name('fstate', id);
    if (!this.fresh) return;
    const s = this.w.fileStates.get(id);
    if (this.rec !== null) this.rec.looked.push(s);
    if (s === undefined) { o.s('(?'); o.num(id); o.c(41); return; }
    o.c(40); this.file(s.file);
    o.c(44); this.path(s.ino);
    o.c(44); o.t(s.offset);
    o.c(44); o.t(s.size);
    o.s(s.maySleep ? ',1,' : ',0,'); o.t(s.folio ?? 'N');
    o.s(s.freed ? ',1' : ',0');
    this.extra(s, KNOWN_FSTATE);
    o.c(41);
  }

  workFn(fn: WorkFn): void {
    switch (fn.kind) {
      case 'bpf_task_work': this.o.s('tw:'); this.ctx(fn.ctx); return;
      case 'fput': this.o.s('fput:'); this.file(fn.file); return;
      case 'note': this.o.s('note:'); this.gen(fn); return;
      default: this.raw = true; this.gen(fn);
    }
  }

  work(w: Work): void {
    this.name('work', w.id);
    this.o.c(61);
    this.workFn(w.fn);
  }

  works(ws: Iterable<Work>): void {
    let first = true;
    for (const w of ws) {
      if (!first) this.o.c(44);
      first = false;
      this.work(w);
    }
  }

  reg(v: RegVal): void {
    const o = this.o;
    if (v === null) { o.c(78); return; }
    if (typeof v === 'bigint') { o.big(v); o.c(110); return; }
    switch (v.ptr) {
      case 'task': o.s('task'); o.t(v.pid); return;
      case 'file': o.s('file:'); this.file(v.file); return;
      case 'inode': o.s('inode'); o.t(v.ino); return;
      case 'map': o.s('map'); o.t(v.map); return;
      case 'map_value': o.s('mv'); o.t(v.map); o.c(91); o.t(v.key); o.c(64); o.t(v.slot); o.s(']+'); o.t(v.off ?? 0); if (v.cpu !== undefined) { o.c(64); o.t(v.cpu); } return;
      case 'mem': o.s('mem:'); this.bytes(v.bytes); o.c(43); o.t(v.off ?? 0); return;
      case 'stack': o.s('stack:'); this.name('frame', v.frame); o.t(v.off); return;
      case 'global': o.c(103); o.t(v.obj); o.c(46); o.t(v.name); o.c(43); o.t(v.off); return;
      case 'ctx': o.s('ctx'); return;
      case 'func': o.s('func:'); o.t(v.name); return;
      default: this.raw = true; this.gen(v);
    }
  }

  regs(r: Readonly<Record<string, RegVal>>): void {
    const keys = Object.keys(r).sort();
    for (let i = 0; i < keys.length; i += 1) {
      const k = keys[i] as string;
      if (i > 0) this.o.c(44);
      this.o.s(k);
      this.o.c(61);
      this.reg(r[k] as RegVal);
    }
  }

  spills(sp: Readonly<Record<number, RegVal>> | undefined): void {
    if (sp === undefined) { this.o.c(78); return; }
    const offs = Object.keys(sp).map(Number).sort((a, b) => a - b);
    for (let i = 0; i < offs.length; i += 1) {
      const off = offs[i] as number;
      if (i > 0) this.o.c(44);
      this.o.num(off);
      this.o.c(61);
      this.reg(sp[off] as RegVal);
    }
  }

  frame(f: Frame): void {
    const o = this.o;
    this.name('frame', f.id);
    // The callers are named before the frame's registers, context file and context, and written after them.
    const at = o.n;
    const callers = f.callers ?? [];
    for (let i = 0; i < callers.length; i += 1) {
      const c = callers[i] as NonNullable<Frame['callers']>[number];
      if (i > 0) o.c(44);
      // A caller's loop context is named before the caller's frame, and written after it.
      const loopAt = o.n;
      if (c.loop === null) o.c(78);
      else {
        o.t(c.loop.i); o.c(47); o.t(c.loop.nr); o.c(47); o.t(c.loop.cb); o.c(47);
        this.reg(c.loop.ctx);
        o.c(47); o.t(c.loop.start);
        // A bpf_for_each_map_elem walk: its map (an id, as it is) and where it stands.
        const each = c.loop.each;
        if (each !== undefined) {
          o.s('/e'); o.t(each.map); o.c(47); o.t(each.cursor.bucket); o.c(47);
          if (each.cursor.next === null) o.c(78);
          else { o.t(each.cursor.next.key); o.c(58); o.t(each.cursor.next.slot); }
        }
      }
      const loopEnd = o.n;
      this.name('frame', c.id);
      o.c(40); o.t(c.fn);
      o.c(44); o.t(c.pc);
      o.s(',{'); this.regs(c.regs);
      o.s('},');
      if (c.stack === null) o.c(78);
      else this.bytes(c.stack);
      o.s(',{'); this.spills(c.spills);
      o.s('},'); o.t(c.dst ?? 'N');
      o.c(44);
      o.rotate(loopAt, loopEnd); // the loop after the caller's head
      this.extra(c, KNOWN_CALLER);
      o.c(41);
    }
    const callersEnd = o.n;
    o.s('(p'); o.t(f.prog);
    o.c(44); o.t(f.fn);
    o.s(f.callback ? ',1,' : ',0,'); o.t(f.pc);
    o.s(',{'); this.regs(f.regs);
    o.s('},');
    if (f.resume !== null && f.resume !== undefined) {
      this.raw = true;
      this.gen(f.resume);
    } else o.c(78);
    o.s(f.sleepable ? ',1,' : ',0,'); this.file(f.ctxFile);
    o.c(44); this.ctx(f.twCtx);
    o.c(44);
    if (f.stack === undefined || f.stack === null) o.c(78);
    else this.bytes(f.stack);
    o.s(',{'); this.spills(f.spills);
    o.s('},[');
    o.rotate(at, callersEnd); // the callers after the frame's head
    o.s('],'); o.t(f.entry ?? 'N');
    o.c(44); o.t(f.ctxPacket ?? 'N');
    this.extra(f, KNOWN_FRAME);
    o.c(41);
  }

  activity(a: Activity): void {
    const o = this.o;
    switch (a.a) {
      case 'syscall': {
        o.s('sys('); this.gen(a.sys);
        o.c(44); o.t(a.stage);
        o.c(44);
        if (a.ret === null) o.c(78);
        else { o.big(a.ret); o.c(110); }
        o.c(44);
        if (a.sys.sys === 'open') {
          if (a.stage > 0) this.file(a.scratch);
          else o.t(a.scratch);
        } else {
          if (!NUMERIC_SCRATCH.has(a.sys.sys)) this.raw = true;
          o.t(a.scratch);
        }
        o.c(44); o.t(a.hooks ?? 'N');
        o.c(44); o.t(a.packet ?? 'N');
        o.c(44);
        // A read, write or truncation that slept continues from `resume` (it may hold folio references).
        if (a.resume !== undefined) {
          this.raw = true;
          this.gen(a.resume);
        } else o.c(78);
        o.c(41);
        return;
      }
      case 'prog': o.s(a.started ? 'prog(1,' : 'prog(0,'); this.frame(a.frame); o.c(41); return;
      case 'exit_to_user': o.s('eu'); return;
      case 'task_work_run': o.s(a.exiting ? 'twr(1,[' : 'twr(0,['); this.works(a.batch); o.s('])'); return;
      case 'do_exit':
        o.s('exit(');
        o.t(a.stage);
        if (a.hooks !== undefined) {
          o.c(44);
          o.t(a.hooks);
        }
        o.c(41);
        return;
      default:
        this.raw = true;
        this.gen(a);
    }
  }

  /**
   * A task in the key's stream: its words as recorded for the same task object the last time, when
   * what they were written from is the same (`TaskPart`), else written and recorded.
   */
  taskOrRecorded(t: ReadonlyTask): void {
    const part = taskParts.get(t);
    if (part !== undefined && this.replay(part)) return;
    const before = this.raw;
    this.raw = false;
    const rec: TaskPart = { pathOf: this.pathOf, sizes: KINDS.map((k) => this.names[k].size), kinds: [], raws: [], names: [], looked: [], words: [], raw: false };
    this.rec = rec;
    const at = this.o.n;
    this.task(t);
    this.rec = null;
    rec.words = this.o.w.slice(at, this.o.n);
    rec.raw = this.raw;
    this.raw = before || rec.raw;
    taskParts.set(t, rec);
  }

  /** Write the recorded `part` if it is what the task would write now (see `TaskPart`): true when done. */
  replay(part: TaskPart): boolean {
    if (part.pathOf !== this.pathOf) return false;
    for (let i = 0; i < KINDS.length; i += 1) if (this.names[KINDS[i] as Kind].size !== part.sizes[i]) return false;
    const { kinds, raws, names } = part;
    // Every id gets the name it got then: an id named before the task, the same name; an id named
    // first by the task, a name the task gives (at or above the count it started with).
    let looked = 0;
    for (let i = 0; i < kinds.length; i += 1) {
      const kind = kinds[i] as Kind;
      const raw = raws[i] as number;
      const c = names[i] as number;
      const now = this.names[kind].get(raw);
      if (c < 0) {
        if (now !== undefined) return false;
        // A fresh file, context or FILE dynptr state was written from its entry: the same entry.
        if (kind === 'file' || kind === 'ctx' || kind === 'fstate') {
          const table: { get(id: number): unknown } = kind === 'file' ? this.w.files : kind === 'ctx' ? this.w.twctx : this.w.fileStates;
          if (table.get(raw) !== part.looked[looked]) return false;
          looked += 1;
        }
      } else if (now === undefined ? c < (part.sizes[KINDS.indexOf(kind)] as number) : now !== c) return false;
    }
    for (let i = 0; i < kinds.length; i += 1) {
      const c = names[i] as number;
      if (c < 0) this.names[kinds[i] as Kind].set(raws[i] as number, -1 - c);
    }
    if (part.raw) this.raw = true;
    this.o.words(part.words);
    return true;
  }

  task(t: ReadonlyTask): void {
    const o = this.o;
    o.s('task'); o.t(t.pid);
    o.c(40); o.t(t.tgid);
    o.c(44); o.json(t.comm);
    o.c(44);
    // The descriptors are named before `mm`'s file and written after it.
    const at = o.n;
    let first = true;
    for (const [name, f] of t.fds) {
      if (!first) o.c(44);
      first = false;
      o.json(name);
      o.c(58);
      this.file(f);
    }
    const fdsEnd = o.n;
    if (t.mm === null) o.c(78);
    else this.file(t.mm.exe_file);
    o.s(',{');
    o.rotate(at, fdsEnd);
    o.s('},'); this.gen(t.userMem);
    o.c(44); o.t(t.state);
    const flags = t.flags;
    o.c(44); o.c(flags.notifySignal ? 49 : 48); o.c(flags.notifyResume ? 49 : 48); o.c(flags.pfExiting ? 49 : 48);
    o.c(44); o.t(t.usage);
    o.s(t.reaped ? ',1,' : ',0,');
    if (t.parent === null) o.c(78);
    else o.t(t.parent);
    o.s(t.forking ? ',1,[' : ',0,['); this.works(t.works.queue);
    o.s(t.works.exited ? '],1,' : '],0,'); o.t(t.pc);
    o.s(',[');
    for (let i = 0; i < t.stackDepth; i += 1) {
      if (i > 0) o.c(44);
      this.activity(t.activityAt(i) as Activity);
    }
    o.s('],');
    const wait = t.wait;
    if (wait === null) o.c(78);
    else if (wait.kind === 'page') { o.s('page('); this.path(wait.ino); o.c(44); o.t(wait.pgoff); o.c(41); }
    else if (wait.kind === 'child') o.s('child');
    else { o.s('timer('); o.t(wait.until); o.c(41); }
    o.s(',[');
    const results = t.results;
    for (let i = 0; i < results.length; i += 1) {
      if (i > 0) o.c(44);
      o.t(results[i]);
    }
    o.c(93);
    this.extra(t, KNOWN_TASK);
    o.c(41);
  }

  /** A page cache (its digest in the key, computed once per state: a world never changes one it holds). */
  mapping(m: MappingState): void {
    if (this.text) { this.mappingBody(m); return; }
    let d = mappings.get(m);
    if (d === undefined) {
      const c = this.digestOf(() => this.mappingBody(m));
      d = c.d;
      mappings.set(m, d);
    }
    this.o.digest(MARK_PAGES, d);
  }

  mappingBody(m: MappingState): void {
    // The interval map's runs are canonical (neighbours of equal state, order and flags are one run),
    // so their list is the page states. Folio flags (PG_readahead, dirty), large folios' orders, reader
    // references, generations, truncated folios still held and the uptodate blocks of partial pages:
    // all change what a later read, eviction or truncation does.
    const o = this.o;
    let first = true;
    for (const r of runsOf(m)) {
      if (!first) o.c(44);
      first = false;
      o.t(r.start); o.c(45); o.t(r.end); o.t(r.state); o.c(111); o.t(r.order); o.c(102); o.t(r.flags);
    }
    const sorted = <K extends number | string, V>(x: ReadonlyMap<K, V>, f: (v: V) => void): void => {
      const es = [...x].sort(byKey);
      for (let i = 0; i < es.length; i += 1) {
        const [k, v] = es[i] as [K, V];
        if (i > 0) o.c(44);
        o.t(k);
        o.c(61);
        f(v);
      }
    };
    o.s(';r{'); sorted(m.refs, (v) => o.t(v));
    o.s('};g{'); sorted(m.gens, (v) => o.t(v));
    o.s('};d{'); sorted(m.detached, (d) => { o.t(d.refs); o.c(58); this.bytes(d.bytes); });
    o.s('};b{'); sorted(m.blocks, (v) => o.t(v));
    o.c(125);
  }
}

function isMapLike(o: object): o is ReadonlyMap<unknown, unknown> {
  return typeof (o as { entries?: unknown }).entries === 'function' && typeof (o as { get?: unknown }).get === 'function';
}

/**
 * A task's words in the key's stream, with what they were written from besides the task object (by
 * which they are cached): the inode table's paths, how many ids of each kind were named before the
 * task, every id the task named in order (`names`: its name, or -1 - its name when the task named it
 * first), and the entry written for each file, context and FILE dynptr state it named first. Equal
 * these, the walk writes the same words and names the same ids: it reads nothing else of the world.
 */
interface TaskPart {
  readonly pathOf: ReadonlyMap<number, string>;
  readonly sizes: readonly number[];
  readonly kinds: Kind[];
  readonly raws: number[];
  readonly names: number[];
  readonly looked: unknown[];
  words: readonly number[];
  raw: boolean;
}
const taskParts = new WeakMap<object, TaskPart>();

/** The inodes by path, and each inode's path as JSON (per inode table: a world never changes one it holds). */
interface InodeList { readonly sorted: readonly Inode[]; readonly pathOf: ReadonlyMap<number, string> }
const inodeLists = new WeakMap<object, InodeList>();
function inodeList(inodes: World['inodes']): InodeList {
  let l = inodeLists.get(inodes);
  if (l === undefined) {
    const pathOf = new Map<number, string>();
    for (const [ino, inode] of inodes) pathOf.set(ino, JSON.stringify(inode.path));
    l = { sorted: [...inodes.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), pathOf };
    inodeLists.set(inodes, l);
  }
  return l;
}

/** An inode's fields but its number and path, as the key's words (per inode: a world never changes one it holds). */
const inodeWords = new WeakMap<object, { readonly words: readonly number[]; readonly raw: boolean }>();

/** The digest of the reads in flight, by read table and inode table. */
const ioDigests = new WeakMap<object, WeakMap<object, Cached>>();

/** The paths as JSON with their inode numbers, sorted (per path table). */
const pathLists = new WeakMap<object, readonly (readonly [string, number])[]>();
function pathList(paths: World['paths']): readonly (readonly [string, number])[] {
  let l = pathLists.get(paths);
  if (l === undefined) {
    // Sorted by the JSON text: one is never a proper prefix of another, so this is also the order of
    // the texts `"path">inode`.
    l = [...paths].map(([p, ino]) => [JSON.stringify(p), ino] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    pathLists.set(paths, l);
  }
  return l;
}

/**
 * A table's entries sorted by key (maps and programs by id, slots by id, an object's globals by name),
 * once per table: a world never changes a table it holds.
 */
const sortedLists = new WeakMap<object, readonly (readonly [number | string, unknown])[]>();
function sortedEntries<K extends number | string, V>(table: Iterable<readonly [K, V]> & object): readonly (readonly [K, V])[] {
  let l = sortedLists.get(table) as readonly (readonly [K, V])[] | undefined;
  if (l === undefined) {
    l = [...table].sort(byKey);
    sortedLists.set(table, l);
  }
  return l;
}

/**
 * The key's stream after the text's head (the version, the clock, the faults, the inodes with their
 * page caches, the paths, the reads in flight: nothing in it is renamed), and whether the head was
 * raw; by the objects and numbers it is written from (a world never changes an object it holds).
 */
interface Head { readonly stream: MurmurStream; readonly raw: boolean }
type HeadTables = readonly [World['inodes'], World['paths'], World['faults'], World['pagecache'], World['io']];
const heads = new WeakMap<object, WeakMap<object, WeakMap<object, WeakMap<object, WeakMap<object, Map<string, Head>>>>>>();

/** The heads of worlds with these tables, by the rest of what the head is written from (made on first use when `make`). */
function headsOf(world: World, make: boolean): Map<string, Head> | undefined {
  const tables: HeadTables = [world.inodes, world.paths, world.faults, world.pagecache, world.io];
  // One level of weak maps per table, those that change least first (a new page cache or read table
  // makes one level): an entry lives as long as all five do.
  let m: WeakMap<object, unknown> = heads as WeakMap<object, unknown>;
  for (let i = 0; i < tables.length; i += 1) {
    const t = tables[i] as object;
    let next = m.get(t) as WeakMap<object, unknown> | Map<string, Head> | undefined;
    if (next === undefined) {
      if (!make) return undefined;
      next = i === tables.length - 1 ? new Map<string, Head>() : new WeakMap<object, unknown>();
      m.set(t, next);
    }
    if (i === tables.length - 1) return next as Map<string, Head>;
    m = next as WeakMap<object, unknown>;
  }
  return undefined;
}

/** Walk `world`: the text (`text`), or the key's stream (`head`: where it starts, when the head is written in it or cached). */
function walk(world: World, text: boolean, head?: { stream: MurmurStream | null; end: number }): Walk {
  const w = new Walk(world, text);
  const o = w.o;
  const headKey = `${world.version};${world.smp ? 1 : 0};${world.cpus};${world.hashrnd};${world.clock.now};${world.allocated}`;
  const cachedHead = head === undefined ? undefined : headsOf(world, false)?.get(headKey);
  if (head !== undefined && cachedHead !== undefined) {
    head.stream = cachedHead.stream;
    head.end = 0;
    if (cachedHead.raw) w.raw = true;
  } else {
    writeHead(world, w, text);
    if (head !== undefined) {
      const stream = streamStart();
      streamFeed(stream, o.w, 0, o.n);
      (headsOf(world, true) as Map<string, Head>).set(headKey, { stream, raw: w.raw });
      head.stream = stream;
      head.end = o.n;
    }
  }
  walkRest(world, w);
  return w;
}

/** The text's head (see `Head`). */
function writeHead(world: World, w: Walk, text: boolean): void {
  const o = w.o;
  o.c(118); o.t(world.version);
  o.s(world.smp ? ';smp1;c' : ';smp0;c'); o.t(world.cpus); o.s(';h'); o.t(world.hashrnd); o.s(';t'); o.t(world.clock.now);
  o.s(';a'); o.t(world.allocated);
  o.s('\nfaults'); o.t(world.faults.alloc);
  const faultIo = [...world.faults.io].map(([key, n]) => {
    const [ino, pg] = key.split(':');
    return `${w.pathText(Number(ino))}:${pg}=${n}`;
  }).sort();
  o.c(91); o.s(faultIo.join(',')); o.c(93);
  // Inodes by path, with their page caches.
  for (const inode of w.inodes.sorted) {
    o.s('\ninode('); o.s(w.pathOf.get(inode.ino) as string); o.c(44);
    const fields = (): void => {
      let first = true;
      for (const k of Object.keys(inode)) {
        if (k === 'ino' || k === 'path') continue;
        if (!first) o.c(44);
        first = false;
        o.s(k);
        o.c(61);
        w.gen((inode as unknown as Record<string, unknown>)[k]);
      }
    };
    if (text) fields();
    else {
      let c = inodeWords.get(inode);
      if (c === undefined) {
        const before = w.raw;
        w.raw = false;
        const at = o.n;
        fields();
        c = { words: o.w.slice(at, o.n), raw: w.raw };
        inodeWords.set(inode, c);
        o.n = at;
        w.raw = before;
      }
      if (c.raw) w.raw = true;
      o.words(c.words);
    }
    o.s(',pc[');
    const pc = world.pagecache.get(inode.ino);
    if (pc === undefined) o.c(78);
    else w.mapping(pc);
    o.s('])');
  }
  o.s('\npaths(');
  pathList(world.paths).forEach(([p, ino], i) => {
    if (i > 0) o.c(44);
    o.s(p); o.c(62); w.path(ino);
  });
  o.c(41);
  o.s('\nio[');
  const ios = (): void => {
    let first = true;
    for (const r of world.io.values()) {
      if (!first) o.c(44);
      first = false;
      w.path(r.ino); o.c(58); o.t(r.pgoff); o.c(64); o.t(r.submittedAt); o.c(45); o.t(r.completesAt);
      if (!r.ok) o.c(33);
    }
  };
  if (text) ios();
  else {
    // The reads in flight by their digest, once per table (with the inode table: the paths they name).
    let byInodes = ioDigests.get(world.io);
    if (byInodes === undefined) {
      byInodes = new WeakMap();
      ioDigests.set(world.io, byInodes);
    }
    let c = byInodes.get(world.inodes);
    if (c === undefined) {
      c = w.digestOf(ios);
      byInodes.set(world.inodes, c);
    }
    if (c.raw) w.raw = true;
    o.digest(MARK_IO, c.d);
  }
  o.c(93);
}

/** The text after its head: tasks, irq_work, maps, dynptrs, objects, programs, hooks, what is left. */
function walkRest(world: World, w: Walk): void {
  const o = w.o;
  let first = true;
  // Tasks by pid (their ids never change; an id table iterates in key order).
  world.tasks.forEach((t) => {
    o.c(10);
    if (w.text) w.task(t);
    else w.taskOrRecorded(t);
  });
  o.s('\nirq[');
  world.irqWork.forEach((q, i) => {
    if (i > 0) o.c(44);
    o.t(q.kind); o.c(58); w.ctx(q.ctx);
    if ('stage' in q && q.stage !== undefined) { o.c(47); o.t(q.stage); }
  });
  o.c(93);
  // Maps by id, elements in their order (a hash map's order is its iteration order).
  for (const [id, m] of sortedEntries(world.maps)) {
    o.s('\nmap'); o.t(id);
    o.c(40); o.json(m.name);
    o.c(44); o.t(m.type);
    o.c(44); o.t(m.maxEntries);
    o.c(44); o.t(m.valueSize);
    // The value's special fields (no ids in them), where it has any.
    if (m.layout.fields.length > 0) { o.c(44); w.gen(m.layout); }
    o.s(m.taskWork ? ',1' : ',0'); o.s(m.noPrealloc ? ',1,' : ',0,'); o.t(m.flags); o.c(44); o.t(m.hashrnd); o.s(m.frozen ? ',F,' : ',,'); o.t(m.usercnt);
    // Linked elements name their element memory (its id, as it is: a value pointer and a task_work
    // context name it too); every memory follows with the key bytes it holds, its value and its context.
    o.s(',[');
    first = true;
    for (const [key, e] of inLinkOrder(m)) {
      if (!first) o.c(44);
      first = false;
      o.t(key); o.s(':@'); o.t(e.slot);
      w.extra(e, KNOWN_ELEM);
    }
    o.s('],[');
    first = true;
    // Element memory in ascending ids (a SlotTable iterates so).
    for (const [sid, sl] of m.slots) {
      if (!first) o.c(44);
      first = false;
      o.c(64); o.t(sid); o.c(58); o.t(sl.key); o.c(58); w.bytes(sl.data); o.c(58); w.ctx(sl.tw);
      for (const kp of sl.kptrs) { o.c(58); w.reg(kp); }
      w.extra(sl, KNOWN_SLOT);
    }
    o.s('],free['); o.s([...m.free.values()].join(',')); o.c(47); o.t(m.fresh);
    o.s('],x'); o.t(m.extra ?? 'N');
    // An LRU_HASH's lists (the eviction order and reference bits: maps/lru.ts), as they are.
    if (m.lru !== null) { o.s(',lru'); w.gen(m.lru); }
    // A QUEUE's or STACK's ring (maps/queue_stack.ts): its ends and the values in its slots (no ids).
    if (m.qs !== null) {
      o.s(',qs'); o.t(m.qs.head); o.c(44); o.t(m.qs.tail);
      for (const [i, v] of m.qs.elements) { o.c(44); o.t(i); o.c(58); w.bytes(v); }
    }
    // A BLOOM_FILTER's geometry and its set bits (maps/bloom.ts), sorted: the order they were set in
    // is not state.
    if (m.bloom !== null) {
      o.s(',bl'); o.t(m.bloom.nrHash); o.c(44); o.t(m.bloom.mask); o.c(44); o.t(m.bloom.seed);
      for (const b of m.bloom.bits.keys()) { o.c(44); o.t(b); }
    }
    w.extra(m, KNOWN_MAP);
    o.c(41);
  }
  // Dynptr slots: a program's are `slot@frame` (renamed by the frame); a session's are plain names.
  // Sorted by their words (in the text, the words are the code units: the order of the text).
  const slots: number[][] = [];
  for (const [slot, d] of world.dynptrs) {
    const at = o.n;
    const m = /^(.*)@(\d+)$/.exec(slot);
    let key = JSON.stringify(slot);
    if (m !== null) {
      const f = w.names.frame.get(Number(m[2]));
      if (f === undefined) w.raw = true;
      else key = `${JSON.stringify(m[1])}@f${f}`;
    }
    o.s(key); o.c(61);
    if (d.kind === 'file') { o.s('file:'); w.fstate(d.state); }
    else w.gen(d);
    slots.push(o.w.slice(at, o.n));
    o.n = at;
  }
  slots.sort(compareWords);
  o.s('\ndynptrs(');
  slots.forEach((s, i) => {
    if (i > 0) o.c(44);
    o.words(s);
  });
  o.c(41);
  // Objects' globals, programs' references (objects and programs keep their ids).
  const objects: [number, ReadonlyLoadedObject][] = [];
  world.objects.forEach((ob, id) => objects.push([id, ob])); // in key order (an id table)
  for (const [id, ob] of objects) {
    o.s('\nobj'); o.t(id); o.c(40);
    sortedEntries(ob.globals).forEach(([n, v], i) => {
      if (i > 0) o.c(44);
      o.t(n); o.c(61);
      if (typeof v === 'bigint') { o.big(v); o.c(110); }
      else w.bytes(v);
    });
    o.c(41);
  }
  o.s('\nprogs(');
  sortedEntries(world.progs).forEach(([id, p], i) => {
    if (i > 0) o.c(44);
    o.t(id); o.c(58); o.t(p.refs);
  });
  o.c(41);
  o.s('\nhooks'); w.gen(world.hooks);
  o.s(';kmem'); w.gen(world.kernelMem);
  o.s(';rings'); w.gen(world.rings);
  o.s(';packets'); w.gen(world.packets);
  // Objects nothing named: live ones matter (a leaked reference); tombstones cannot be reached again.
  const orphans: string[] = [];
  world.files.forEach((f, id) => { if (!w.names.file.has(id) && !f.freed) orphans.push(`file${id}:${w.pathText(f.ino)},${f.f_count},${f.fmode}`); });
  for (const [id, c] of world.twctx) if (!w.names.ctx.has(id) && !c.freed) orphans.push(`ctx${id}:${c.state},${c.refcnt},m${c.map},s${c.slot},p${c.prog ?? 'N'},t${c.task ?? 'N'}`);
  world.fileStates.forEach((s, id) => { if (!w.names.fstate.has(id) && !s.freed) orphans.push(`fstate${id}:file${s.file},${w.pathText(s.ino)},${s.offset},${s.size},${s.folio ?? 'N'}`); });
  if (orphans.length > 0) {
    w.raw = true;
    o.s(`\norphans(${orphans.join(',')})`);
  }
  w.extra(world, KNOWN_WORLD, 10); // each on a line of its own
  if (w.raw) {
    // Some ids were written as they are: the renaming makes equal texts mean equal raw ids.
    for (const kind of Object.keys(w.names) as Kind[]) {
      o.s('\nrename '); o.s(kind); o.s(': ');
      let first = true;
      for (const [r, c] of w.names[kind]) {
        if (!first) o.c(44);
        first = false;
        o.num(r); o.c(62); o.num(c);
      }
    }
  }
}

function compareWords(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

/**
 * The canonical text of `world` (see the module comment); `canonicalKey` is a digest of it.
 * Deterministic: the same world gives the same text in every process.
 */
export function canonicalText(world: World): string {
  return walk(world, true).o.text();
}

/**
 * The canonical key of `world`: the 128-bit MurmurHash3 of `canonicalText(world)` with values written
 * as they are, page caches and long byte arrays in it replaced by their own digests (a hash tree of
 * the text: equal keys iff equal texts, but for a collision of 128-bit digests). 32 hex digits.
 */
export function canonicalKey(world: World): string {
  const head: { stream: MurmurStream | null; end: number } = { stream: null, end: 0 };
  const w = walk(world, false, head);
  // Go on from the head's stream (the same digest as of all the words at once: hash.ts).
  const st = (head.stream as MurmurStream).slice();
  streamFeed(st, w.o.w, head.end, w.o.n);
  streamDigest(st, w.h);
  return digestHex(w.h);
}
