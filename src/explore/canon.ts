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
 * The key is the 128-bit MurmurHash3 of that text (hash.ts). Large byte arrays (file contents,
 * program memory) enter by their own digest, computed once per array (the world never changes an
 * array it holds).
 */
import { murmur128 } from './hash.ts';
import type { World } from '../model/world/state.ts';
import type { Activity, Frame, ReadonlyTask, RegVal, Work, WorkFn } from '../model/task/types.ts';
import { runsOf, type MappingState } from '../pagecache/index.ts';

type Kind = 'file' | 'frame' | 'work' | 'ctx' | 'fstate';

const enc = new TextEncoder();
const digests = new WeakMap<Uint8Array, string>();
const generic = new WeakMap<object, { text: string; raw: boolean }>();

/** A short, stable text for a byte array: its bytes when short, else a digest (cached per array). */
export function bytesText(b: Uint8Array): string {
  if (b.length <= 32) {
    let s = 'x';
    for (const x of b) s += (x < 16 ? '0' : '') + x.toString(16);
    return s;
  }
  let d = digests.get(b);
  if (d === undefined) {
    d = `#${b.length}:${murmur128(b)}`;
    digests.set(b, d);
  }
  return d;
}

/** The digest of a text (the key): 32 hex digits. */
export function digestText(text: string): string {
  return murmur128(enc.encode(text));
}

/** World fields the walk knows; any other is written generically (and marks the key raw). */
const KNOWN_WORLD = new Set([
  'version', 'maps', 'twctx', 'progs', 'hooks', 'kernelMem', 'clock', 'inodes', 'paths', 'files', 'pagecache', 'dynptrs',
  'fileStates', 'io', 'rings', 'packets', 'tasks', 'objects', 'ids', 'faults', 'irqWork', 'current', 'budgets', 'smp',
  'allocated', 'trace',
]);
const KNOWN_TASK = new Set(['pid', 'tgid', 'comm', 'mm', 'fds', 'userMem', 'state', 'flags', 'usage', 'reaped', 'works', 'script', 'pc', 'stack', 'wait']);
const KNOWN_FRAME = new Set(['id', 'prog', 'fn', 'callback', 'pc', 'regs', 'resume', 'sleepable', 'ctxFile', 'twCtx', 'stack', 'spills', 'callers', 'entry', 'ctxPacket']);
const KNOWN_CALLER = new Set(['id', 'fn', 'pc', 'regs', 'stack', 'spills', 'dst', 'loop']);
const KNOWN_CTX = new Set(['id', 'state', 'refcnt', 'freed', 'map', 'slot', 'prog', 'task', 'mode', 'callback', 'work']);
const KNOWN_FILE = new Set(['id', 'ino', 'f_count', 'freed', 'fmode', 'append', 'pos', 'ra']);
const KNOWN_FSTATE = new Set(['id', 'file', 'ino', 'offset', 'size', 'maySleep', 'folio', 'freed']);
const KNOWN_MAP = new Set(['id', 'name', 'type', 'maxEntries', 'valueSize', 'taskWork', 'noPrealloc', 'usercnt', 'elems', 'slots', 'free', 'extra', 'useTick']);
const KNOWN_ELEM = new Set(['slot', 'lastUse']);
const KNOWN_SLOT = new Set(['key', 'data', 'tw']);
/** Syscalls whose `scratch` is a plain number (bytes, a time, a return value) in every stage. */
const NUMERIC_SCRATCH = new Set(['read', 'close', 'fadvise_dontneed', 'sleep', 'set_global', 'map_update', 'map_delete', 'map_close', 'task_work_add', 'user_write', 'prog_test_run', 'ringbuf_consume', 'exit']);

class Walk {
  readonly out: string[] = [];
  raw = false;
  readonly names: Record<Kind, Map<number, number>> = { file: new Map(), frame: new Map(), work: new Map(), ctx: new Map(), fstate: new Map() };
  readonly pathOf: Map<number, string>;

  constructor(readonly w: World) {
    this.pathOf = new Map();
    for (const [ino, inode] of w.inodes) this.pathOf.set(ino, inode.path);
  }

  push(s: string): void {
    this.out.push(s);
  }

  /** The canonical name of id `raw` of `kind`; `fresh` is true the first time (write the object then). */
  name(kind: Kind, raw: number): { n: string; fresh: boolean } {
    const m = this.names[kind];
    let c = m.get(raw);
    const fresh = c === undefined;
    if (c === undefined) {
      c = m.size;
      m.set(raw, c);
    }
    return { n: `${kind[0]}${c}`, fresh };
  }

  path(ino: number): string {
    const p = this.pathOf.get(ino);
    if (p === undefined) {
      this.raw = true;
      return `ino${ino}`;
    }
    return JSON.stringify(p);
  }

  /** Any value, as it is (ids unrenamed: the caller decides whether that makes the key raw). */
  gen(v: unknown): string {
    if (v === null) return 'N';
    switch (typeof v) {
      case 'undefined': return 'U';
      case 'boolean': return v ? 'T' : 'F';
      case 'number': return String(v);
      case 'bigint': return `${v}n`;
      case 'string': return JSON.stringify(v);
      case 'function': this.raw = true; return 'fn';
      case 'symbol': return String(v);
      default: break;
    }
    if (v instanceof Uint8Array) return bytesText(v);
    const o = v as object;
    const hit = generic.get(o);
    if (hit !== undefined) {
      if (hit.raw) this.raw = true;
      return hit.text;
    }
    const before = this.raw;
    this.raw = false;
    let text: string;
    if (Array.isArray(o)) text = `[${o.map((x) => this.gen(x)).join(',')}]`;
    else if (o instanceof Set) text = `S[${[...o].map((x) => this.gen(x)).join(',')}]`;
    else if (typeof (o as { entries?: unknown }).entries === 'function' && typeof (o as { get?: unknown }).get === 'function') {
      const parts: string[] = [];
      for (const [k, x] of (o as ReadonlyMap<unknown, unknown>).entries()) parts.push(`${this.gen(k)}:${this.gen(x)}`);
      text = `M{${parts.join(',')}}`;
    } else if (typeof (o as { toArray?: unknown }).toArray === 'function') {
      text = this.gen((o as { toArray(): unknown }).toArray());
    } else {
      text = `{${Object.keys(o).map((k) => `${k}=${this.gen((o as Record<string, unknown>)[k])}`).join(',')}}`;
    }
    const raw = this.raw;
    generic.set(o, { text, raw });
    this.raw = before || raw;
    return text;
  }

  /** The fields of `o` not in `known`, written generically (raw: they may hold ids). */
  extra(o: object, known: ReadonlySet<string>): string {
    let s = '';
    for (const k of Object.keys(o)) {
      if (known.has(k)) continue;
      this.raw = true;
      s += `;${k}=${this.gen((o as Record<string, unknown>)[k])}`;
    }
    return s;
  }

  file(id: number | null): string {
    if (id === null) return 'N';
    const { n, fresh } = this.name('file', id);
    if (!fresh) return n;
    const f = this.w.files.get(id);
    if (f === undefined) return `${n}(?${id})`;
    return `${n}(${this.path(f.ino)},${f.f_count},${f.freed ? 1 : 0},${f.fmode},${f.append ? 1 : 0},${f.pos}n,${this.gen(f.ra)}${this.extra(f, KNOWN_FILE)})`;
  }

  ctx(id: number | null): string {
    if (id === null) return 'N';
    const { n, fresh } = this.name('ctx', id);
    if (!fresh) return n;
    const c = this.w.twctx.get(id);
    if (c === undefined) return `${n}(?${id})`;
    return `${n}(${c.state},${c.refcnt},${c.freed ? 1 : 0},m${c.map},s${c.slot},p${c.prog ?? 'N'},t${c.task ?? 'N'},${c.mode},${c.callback ?? 'N'},${c.work === null ? 'N' : this.name('work', c.work).n}${this.extra(c, KNOWN_CTX)})`;
  }

  fstate(id: number): string {
    const { n, fresh } = this.name('fstate', id);
    if (!fresh) return n;
    const s = this.w.fileStates.get(id);
    if (s === undefined) return `${n}(?${id})`;
    return `${n}(${this.file(s.file)},${this.path(s.ino)},${s.offset},${s.size},${s.maySleep ? 1 : 0},${s.folio ?? 'N'},${s.freed ? 1 : 0}${this.extra(s, KNOWN_FSTATE)})`;
  }

  workFn(fn: WorkFn): string {
    switch (fn.kind) {
      case 'bpf_task_work': return `tw:${this.ctx(fn.ctx)}`;
      case 'fput': return `fput:${this.file(fn.file)}`;
      case 'note': return `note:${this.gen(fn)}`;
      default: this.raw = true; return this.gen(fn);
    }
  }

  work(w: Work): string {
    return `${this.name('work', w.id).n}=${this.workFn(w.fn)}`;
  }

  reg(v: RegVal): string {
    if (v === null) return 'N';
    if (typeof v === 'bigint') return `${v}n`;
    switch (v.ptr) {
      case 'task': return `task${v.pid}`;
      case 'file': return `file:${this.file(v.file)}`;
      case 'map': return `map${v.map}`;
      case 'map_value': return `mv${v.map}[${v.key}@${v.slot}]+${v.off ?? 0}`;
      case 'mem': return `mem:${bytesText(v.bytes)}+${v.off ?? 0}`;
      case 'stack': return `stack:${this.name('frame', v.frame).n}${v.off}`;
      case 'global': return `g${v.obj}.${v.name}+${v.off}`;
      case 'ctx': return 'ctx';
      case 'func': return `func:${v.name}`;
      default: this.raw = true; return this.gen(v);
    }
  }

  regs(r: Readonly<Record<string, RegVal>>): string {
    return Object.keys(r).sort().map((k) => `${k}=${this.reg(r[k] as RegVal)}`).join(',');
  }

  spills(sp: Readonly<Record<number, RegVal>> | undefined): string {
    if (sp === undefined) return 'N';
    return Object.keys(sp).map(Number).sort((a, b) => a - b).map((o) => `${o}=${this.reg(sp[o] as RegVal)}`).join(',');
  }

  frame(f: Frame): string {
    const id = this.name('frame', f.id).n;
    let resume = 'N';
    if (f.resume !== null && f.resume !== undefined) {
      this.raw = true;
      resume = this.gen(f.resume);
    }
    const callers = (f.callers ?? []).map((c) => {
      const loop = c.loop === null ? 'N' : `${c.loop.i}/${c.loop.nr}/${c.loop.cb}/${this.reg(c.loop.ctx)}/${c.loop.start}`;
      return `${this.name('frame', c.id).n}(${c.fn},${c.pc},{${this.regs(c.regs)}},${c.stack === null ? 'N' : bytesText(c.stack)},{${this.spills(c.spills)}},${c.dst ?? 'N'},${loop}${this.extra(c, KNOWN_CALLER)})`;
    }).join(',');
    const stack = f.stack === undefined || f.stack === null ? 'N' : bytesText(f.stack);
    return `${id}(p${f.prog},${f.fn},${f.callback ? 1 : 0},${f.pc},{${this.regs(f.regs)}},${resume},${f.sleepable ? 1 : 0},${this.file(f.ctxFile)},${this.ctx(f.twCtx)},`
      + `${stack},{${this.spills(f.spills)}},[${callers}],${f.entry ?? 'N'},${f.ctxPacket ?? 'N'}${this.extra(f, KNOWN_FRAME)})`;
  }

  activity(a: Activity): string {
    switch (a.a) {
      case 'syscall': {
        let scratch: string;
        if (a.sys.sys === 'open') scratch = a.stage > 0 ? this.file(a.scratch) : String(a.scratch);
        else if (NUMERIC_SCRATCH.has(a.sys.sys)) scratch = String(a.scratch);
        else {
          this.raw = true;
          scratch = String(a.scratch);
        }
        // A read, write or truncation that slept continues from `resume` (it may hold folio references).
        let resume = 'N';
        if (a.resume !== undefined) {
          this.raw = true;
          resume = this.gen(a.resume);
        }
        return `sys(${this.gen(a.sys)},${a.stage},${a.ret === null ? 'N' : `${a.ret}n`},${scratch},${a.hooks ?? 'N'},${a.packet ?? 'N'},${resume})`;
      }
      case 'prog': return `prog(${a.started ? 1 : 0},${this.frame(a.frame)})`;
      case 'exit_to_user': return 'eu';
      case 'task_work_run': return `twr(${a.exiting ? 1 : 0},[${a.batch.map((w) => this.work(w)).join(',')}])`;
      case 'do_exit': return `exit(${a.stage})`;
      default:
        this.raw = true;
        return this.gen(a);
    }
  }

  task(t: ReadonlyTask): string {
    const fds: string[] = [];
    for (const [name, f] of t.fds) fds.push(`${JSON.stringify(name)}:${this.file(f)}`);
    const wait = t.wait === null ? 'N' : t.wait.kind === 'page' ? `page(${this.path(t.wait.ino)},${t.wait.pgoff})` : `timer(${t.wait.until})`;
    const flags = `${t.flags.notifySignal ? 1 : 0}${t.flags.notifyResume ? 1 : 0}${t.flags.pfExiting ? 1 : 0}`;
    const results = t.results.map((r) => `${r}`).join(',');
    return `task${t.pid}(${t.tgid},${JSON.stringify(t.comm)},${t.mm === null ? 'N' : this.file(t.mm.exe_file)},{${fds.join(',')}},${this.gen(t.userMem)},${t.state},${flags},${t.usage},${t.reaped ? 1 : 0},`
      + `[${t.works.queue.map((w) => this.work(w)).join(',')}],${t.works.exited ? 1 : 0},${t.pc},[${t.stack.map((a) => this.activity(a as Activity)).join(',')}],${wait},[${results}]${this.extra(t, KNOWN_TASK)})`;
  }
}

/** A page cache as text, runs by first page (cached per state: a world never changes one it holds). */
const mappings = new WeakMap<object, string>();
function mappingText(m: MappingState): string {
  let s = mappings.get(m);
  if (s === undefined) {
    // The interval map's runs are canonical (neighbours of equal state, order and flags are one run),
    // so their list is the page states. Folio flags (PG_readahead, dirty), large folios' orders, reader
    // references, generations, truncated folios still held and the uptodate blocks of partial pages:
    // all change what a later read, eviction or truncation does.
    const runs = [...runsOf(m)].map((r) => `${r.start}-${r.end}${r.state}o${r.order}f${r.flags}`);
    const sorted = <K extends number | string, V>(x: ReadonlyMap<K, V>, f: (v: V) => string): string =>
      [...x].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([k, v]) => `${k}=${f(v)}`).join(',');
    s = `${runs.join(',')};r{${sorted(m.refs, String)}};g{${sorted(m.gens, String)}}`
      + `;d{${sorted(m.detached, (d) => `${d.refs}:${bytesText(d.bytes)}`)}};b{${sorted(m.blocks, String)}}`;
    mappings.set(m, s);
  }
  return s;
}

/**
 * The canonical text of `world` (see the module comment); `canonicalKey` is its digest. Deterministic:
 * the same world gives the same text in every process.
 */
export function canonicalText(world: World): string {
  const w = new Walk(world);
  w.push(`v${world.version};smp${world.smp ? 1 : 0};t${world.clock.now};a${world.allocated}`);
  const faultIo = [...world.faults.io].map(([key, n]) => {
    const [ino, pg] = key.split(':');
    return `${w.path(Number(ino))}:${pg}=${n}`;
  }).sort();
  w.push(`faults${world.faults.alloc}[${faultIo.join(',')}]`);
  // Inodes by path, with their page caches.
  const inodes = [...world.inodes.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const inode of inodes) {
    const rest = Object.keys(inode).filter((k) => k !== 'ino' && k !== 'path').map((k) => `${k}=${w.gen((inode as unknown as Record<string, unknown>)[k])}`).join(',');
    const pc = world.pagecache.get(inode.ino);
    w.push(`inode(${JSON.stringify(inode.path)},${rest},pc[${pc === undefined ? 'N' : mappingText(pc)}])`);
  }
  const paths = [...world.paths].map(([p, ino]) => `${JSON.stringify(p)}>${w.path(ino)}`).sort();
  w.push(`paths(${paths.join(',')})`);
  w.push(`io[${[...world.io.values()].map((r) => `${w.path(r.ino)}:${r.pgoff}@${r.submittedAt}-${r.completesAt}${r.ok ? '' : '!'}`).join(',')}]`);
  // Tasks by pid (their ids never change).
  const pids = [...world.tasks.keys()].sort((a, b) => a - b);
  for (const pid of pids) w.push(w.task(world.tasks.get(pid) as ReadonlyTask));
  w.push(`irq[${world.irqWork.map((q) => `${q.kind}:${w.ctx(q.ctx)}${'stage' in q && q.stage !== undefined ? `/${q.stage}` : ''}`).join(',')}]`);
  // Maps by id, elements in their order (a hash map's order is its iteration order).
  for (const id of [...world.maps.keys()].sort((a, b) => a - b)) {
    const m = world.maps.get(id);
    if (m === undefined) continue;
    const lru = m.type === 'lru_hash';
    const ranks = lru ? [...new Set([...m.elems.values()].map((e) => e.lastUse))].sort((a, b) => a - b) : [];
    const elems: string[] = [];
    // Linked elements name their element memory (its id, as it is: a value pointer and a task_work
    // context name it too); every memory follows with the key bytes it holds, its value and its context.
    for (const [key, e] of m.elems) {
      elems.push(`${key}:@${e.slot}${lru ? `:${ranks.indexOf(e.lastUse)}` : ''}${w.extra(e, KNOWN_ELEM)}`);
    }
    const mem: string[] = [];
    for (const [sid, sl] of [...m.slots].sort((a, b) => a[0] - b[0])) {
      mem.push(`@${sid}:${sl.key}:${bytesText(sl.data)}:${w.ctx(sl.tw)}${w.extra(sl, KNOWN_SLOT)}`);
    }
    w.push(`map${id}(${JSON.stringify(m.name)},${m.type},${m.maxEntries},${m.valueSize},${m.taskWork ? 1 : 0},${m.noPrealloc ? 1 : 0},${m.usercnt},[${elems.join(',')}],[${mem.join(',')}],free[${m.free.join(',')}],x${m.extra ?? 'N'}${w.extra(m, KNOWN_MAP)})`);
  }
  // Dynptr slots: a program's are `slot@frame` (renamed by the frame); a session's are plain names.
  const slots: string[] = [];
  for (const [slot, d] of world.dynptrs) {
    const at = /^(.*)@(\d+)$/.exec(slot);
    let key = JSON.stringify(slot);
    if (at !== null) {
      const f = w.names.frame.get(Number(at[2]));
      if (f === undefined) w.raw = true;
      else key = `${JSON.stringify(at[1])}@f${f}`;
    }
    const val = d.kind === 'file' ? `file:${w.fstate(d.state)}` : w.gen(d);
    slots.push(`${key}=${val}`);
  }
  w.push(`dynptrs(${slots.sort().join(',')})`);
  // Objects' globals, programs' references (objects and programs keep their ids).
  for (const [id, o] of [...world.objects].sort((a, b) => a[0] - b[0])) {
    w.push(`obj${id}(${[...o.globals].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([n, v]) => `${n}=${typeof v === 'bigint' ? `${v}n` : bytesText(v)}`).join(',')})`);
  }
  w.push(`progs(${[...world.progs].sort((a, b) => a[0] - b[0]).map(([id, p]) => `${id}:${p.refs}`).join(',')})`);
  w.push(`hooks${w.gen(world.hooks)};kmem${w.gen(world.kernelMem)};rings${w.gen(world.rings)};packets${w.gen(world.packets)}`);
  // Objects nothing named: live ones matter (a leaked reference); tombstones cannot be reached again.
  const orphans: string[] = [];
  for (const [id, f] of world.files) if (!w.names.file.has(id) && !f.freed) orphans.push(`file${id}:${w.path(f.ino)},${f.f_count},${f.fmode}`);
  for (const [id, c] of world.twctx) if (!w.names.ctx.has(id) && !c.freed) orphans.push(`ctx${id}:${c.state},${c.refcnt},m${c.map},s${c.slot},p${c.prog ?? 'N'},t${c.task ?? 'N'}`);
  for (const [id, s] of world.fileStates) if (!w.names.fstate.has(id) && !s.freed) orphans.push(`fstate${id}:file${s.file},${w.path(s.ino)},${s.offset},${s.size},${s.folio ?? 'N'}`);
  if (orphans.length > 0) {
    w.raw = true;
    w.push(`orphans(${orphans.join(',')})`);
  }
  for (const k of Object.keys(world)) {
    if (KNOWN_WORLD.has(k)) continue;
    w.raw = true;
    w.push(`${k}=${w.gen((world as unknown as Record<string, unknown>)[k])}`);
  }
  if (w.raw) {
    // Some ids were written as they are: the renaming makes equal texts mean equal raw ids.
    for (const kind of Object.keys(w.names) as Kind[]) w.push(`rename ${kind}: ${[...w.names[kind]].map(([r, c]) => `${r}>${c}`).join(',')}`);
  }
  return w.out.join('\n');
}

/** The canonical key of `world`: the 128-bit MurmurHash3 of `canonicalText(world)`. */
export function canonicalKey(world: World): string {
  return digestText(canonicalText(world));
}
