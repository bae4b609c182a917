/**
 * The glue between generated data and the model: building initial worlds, reading page states, and
 * running an operation sequence while an oracle shadow (oracle.ts) predicts every result. Only this
 * file and the tests call the model.
 */
import fc from 'fast-check';
import { cache, content as contents, createWorld, files, LoadError, NON_SLEEPABLE, pageMap, pageStates as readPageStates, Session, SLEEPABLE, transact, type BpfObject, type World } from '../src/index.ts';
import { fillBytes, MAX_IO_LEN, PAGE, resolveKindArg, resolveU64, type FileSpec, type Op, type RefOp, type RefSlot, type Slot } from './arbitraries.ts';
import * as O from './oracle.ts';

export interface BuiltFile {
  readonly path: string;
  readonly spec: FileSpec;
  readonly id: number;
  /** The test-held bytes of a `bytes` file. */
  readonly held: Uint8Array | undefined;
  readonly at: O.ByteAt;
}

export interface Built {
  readonly world: World;
  readonly files: readonly BuiltFile[];
}

export interface FileSetup {
  readonly spec: FileSpec;
  /** Absolute page indices to warm. */
  readonly cached?: readonly number[];
  /** Absolute page index → injected failures. */
  readonly faults?: ReadonlyArray<readonly [number, number]>;
}

/** A world with the files created, opened once each, their pages warmed and errors injected. */
export function buildWorld(setups: readonly FileSetup[]): Built {
  const out: BuiltFile[] = [];
  const { world } = transact(createWorld(), NON_SLEEPABLE, (k) => {
    setups.forEach(({ spec, cached = [], faults = [] }, i) => {
      const path = `/f${i}`;
      let held: Uint8Array | undefined;
      const c = spec.content.kind === 'zero' ? contents.zero()
        : spec.content.kind === 'pattern' ? contents.pattern(spec.content.seed)
        : contents.bytes((held = fillBytes(spec.content.seed, Number(spec.size))));
      files.createInode(k, { path, content: c, size: spec.size, secretmem: spec.secretmem });
      const id = files.openFile(k, path);
      for (const p of cached) cache.populateRange(k, path, BigInt(p) * PAGE, PAGE);
      for (const [p, n] of faults) cache.injectIoError(k, path, BigInt(p) * PAGE, n);
      out.push({ path, spec, id, held, at: O.byteSource(spec.content, spec.size, held) });
    });
  });
  return { world, files: out };
}

/**
 * A world per key, built the first time it is asked for: for properties whose runs start from one of
 * a few loaded worlds. Worlds are values, so a run may start from the one another run built (loading
 * validates the object and verifies its programs, most of a small run's cost).
 */
export function worldCache(): (key: string, build: () => World) => World {
  const worlds = new Map<string, World>();
  return (key, build) => {
    let w = worlds.get(key);
    if (w === undefined) {
      w = build();
      worlds.set(key, w);
    }
    return w;
  };
}

/** The oracle's view of a built file's cache. */
export function cacheOf(setup: FileSetup): O.CacheModel {
  return O.cacheModel(setup.spec.size, setup.spec.secretmem, setup.cached ?? [], setup.faults ?? []);
}

/** A session holding `world`, in the given context. */
export function sessionOn(world: World, sleepable: boolean): Session {
  const s = new Session();
  s.world = world;
  s.context = sleepable ? SLEEPABLE : NON_SLEEPABLE;
  return s;
}

/** A 6.19 session with `obj` loaded: verified first, as `BPF_PROG_LOAD` does (a refusal is a `LoadError` with the verifier's message), unless `unverified`. */
export function loaded619(obj: BpfObject, unverified = false): Session {
  const s = new Session({ version: '6.19' });
  s.load(obj, unverified ? { unverified: true } : {});
  return s;
}

/**
 * The session `load` makes (a load verifies, as `BPF_PROG_LOAD` does), or the run skipped
 * (`fc.pre`) when the verifier refused the program: for the properties about the programs the
 * verifier accepts, each then verified once (a `verify` before the load would verify it twice).
 * Any other error is thrown.
 */
export function acceptedOrSkip(load: () => Session): Session {
  try {
    return load();
  } catch (e) {
    fc.pre(!(e instanceof LoadError && e.verifier !== null));
    throw e;
  }
}

/** Page index → state (`uptodate`, `locked`, `failed`), reader references ignored. */
export function pageStates(world: World, path: string): Map<number, string> {
  return new Map(readPageStates(world, path).map((p) => [p.page, p.state]));
}

/** The pages marked `PG_readahead` (the `+ra` keys of `pageMap`). */
export function markedPages(world: World, path: string): Set<number> {
  const out = new Set<number>();
  for (const [key, ranges] of Object.entries(pageMap(world, path))) {
    if (!key.includes('+ra')) continue;
    for (const part of ranges.split(',')) {
      const [a, b] = part.split('-').map(Number) as [number, number | undefined];
      for (let p = a; p <= (b ?? a); p += 1) out.add(p);
    }
  }
  return out;
}

/** The oracle's page states, as `pageStates` reads the model's. */
export function oracleStates(m: O.CacheModel): Map<number, string> {
  const out = new Map<number, string>();
  for (const p of [...m.uptodate, ...m.locked.keys(), ...m.failed, ...m.partial]) out.set(p, O.stateOf(m, p) as string);
  return out;
}

export function sameStates(a: Map<number, string>, b: Map<number, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [p, s] of a) if (b.get(p) !== s) return false;
  return true;
}

/** Every folio reference in the world is non-negative. */
export function refsNonNegative(world: World): boolean {
  for (const m of world.pagecache.values()) for (const n of m.refs.values()) if (n < 0) return false;
  return true;
}

/** A FILE dynptr's 64-bit offset and size as the world holds them (for comparing two dynptrs). */
export function fileBounds(world: World, slot: string): { offset: bigint; size: bigint } | undefined {
  const d = world.dynptrs.get(slot);
  if (d?.kind !== 'file') return undefined;
  const st = world.fileStates.get(d.state);
  return st === undefined || st.freed ? undefined : { offset: st.offset, size: st.size };
}

// ---------------------------------------------------------------------------------------------
// Running an operation sequence with an oracle shadow
// ---------------------------------------------------------------------------------------------

/** The shadow of one FILE dynptr state (shared by clones). */
interface ShadowState {
  view: O.View & { kind: 'file' };
  readonly file: number;
  readonly sleepable: boolean;
  readonly reader: O.ReaderModel;
  freed: boolean;
}

type ShadowSlot =
  | { readonly kind: 'null' }
  | { readonly kind: 'local'; view: O.View & { kind: 'local' }; readonly buf: Uint8Array }
  | { readonly kind: 'file'; readonly st: ShadowState };

export interface StepRecord {
  readonly op: Op;
  /** What the model returned ('skip:<why>' when the step could not be issued: see `runOps`). */
  readonly got: string;
  /** What the oracle expected. */
  readonly want: string;
}

export interface RunResult {
  readonly world: World;
  readonly steps: readonly StepRecord[];
  /** The first step (index) at which a page had negative references, or -1. */
  readonly negativeRefsAt: number;
  /** Slots holding a live FILE dynptr at the end, one per live state. */
  readonly liveFileSlots: readonly string[];
}

const show = (v: unknown): string => (typeof v === 'bigint' ? `${v}n` : v === null ? 'NULL' : String(v));

/**
 * Run `ops` on `world` (built from `setups`, files in `built`). Each op is checked against what the
 * verifier would accept: an op on a slot never initialized, on a FILE dynptr discarded through a
 * clone, or a constructor over a live FILE dynptr is skipped (the verifier rejects such programs),
 * and so is a read whose length passes the bounds but exceeds MAX_IO_LEN (no such buffer exists).
 * Every other op is issued and its result recorded next to the oracle's prediction.
 */
export function runOps(
  world: World, built: Built, setups: readonly FileSetup[], ops: readonly Op[], onStep?: (world: World, index: number) => void,
): RunResult {
  const s = sessionOn(world, false);
  const caches = setups.map(cacheOf);
  const slots = new Map<Slot, ShadowSlot>();
  const states: ShadowState[] = [];
  const steps: StepRecord[] = [];
  let negativeRefsAt = -1;

  const held = (file: number): Set<number> => {
    const h = new Set<number>();
    for (const st of states) if (!st.freed && st.file === file && st.reader.folio !== null) h.add(st.reader.folio);
    return h;
  };
  const usable = (sl: ShadowSlot | undefined): sl is ShadowSlot => sl !== undefined && !(sl.kind === 'file' && sl.st.freed);
  /** Why a slot cannot be used (the verifier would reject the program). */
  const why = (sl: ShadowSlot | undefined): string => (sl === undefined ? 'skip:uninit' : 'skip:freed');
  const liveFileIn = (slot: Slot): boolean => {
    const sl = slots.get(slot);
    return sl?.kind === 'file' && !sl.st.freed;
  };
  const viewOf = (sl: ShadowSlot): O.View => (sl.kind === 'null' ? O.NULL_VIEW : sl.kind === 'local' ? sl.view : sl.st.view);

  const step = (o: Op): void => {
    const rec = (got: unknown, want: unknown): void => {
      steps.push({ op: o, got: show(got), want: show(want) });
    };
    switch (o.op) {
      case 'fromFile': {
        if (liveFileIn(o.slot)) return rec('skip:live', 'skip:live');
        const f = built.files[o.file];
        if (f === undefined) throw new Error(`no file ${o.file}`);
        s.context = o.sleepable ? SLEEPABLE : NON_SLEEPABLE;
        const got = s.bpf_dynptr_from_file(f.id, o.flags, o.slot);
        s.context = NON_SLEEPABLE;
        const want = O.fromFile(BigInt(o.flags));
        if (want.view.kind === 'file') {
          const st: ShadowState = { view: want.view, file: o.file, sleepable: o.sleepable, reader: { folio: null }, freed: false };
          states.push(st);
          slots.set(o.slot, { kind: 'file', st });
        } else slots.set(o.slot, { kind: 'null' });
        return rec(got, want.ret);
      }
      case 'fromMem': {
        if (liveFileIn(o.slot)) return rec('skip:live', 'skip:live');
        const buf = new Uint8Array(o.size > 9000n ? 16 : Number(o.size));
        for (let j = 0; j < buf.length; j += 1) buf[j] = (j * 7 + 3) & 0xff;
        const got = s.bpf_dynptr_from_mem(buf, o.size, o.flags, o.slot);
        const want = O.fromMem(o.size, BigInt(o.flags));
        slots.set(o.slot, want.view.kind === 'local' ? { kind: 'local', view: want.view, buf } : { kind: 'null' });
        return rec(got, want.ret);
      }
      case 'read': {
        const sl = slots.get(o.slot);
        if (!usable(sl)) return rec(why(sl), why(sl));
        const v = viewOf(sl);
        const size = v.kind === 'null' ? 0n : v.size;
        const len = resolveU64(o.len, size);
        const off = resolveU64(o.off, size, len);
        const b = O.readBounds(v, len, off, BigInt(o.flags));
        if (b === 0 && len > MAX_IO_LEN) return rec('skip:len', 'skip:len');
        const dst = new Uint8Array(b === 0 ? Number(len) : 8);
        const got = s.bpf_dynptr_read(dst, len, o.slot, off, o.flags);
        let want = b;
        if (b === 0 && sl.kind === 'file') {
          const c = caches[sl.st.file];
          if (c === undefined) throw new Error('no cache');
          want = O.fileRead(c, sl.st.view.offset + off, len, sl.st.sleepable, sl.st.reader).ret;
        }
        return rec(got, want);
      }
      case 'adjust': {
        const sl = slots.get(o.slot);
        if (!usable(sl)) return rec(why(sl), why(sl));
        const v = viewOf(sl);
        const size = v.kind === 'null' ? 0n : v.size;
        const start = resolveU64(o.start, size);
        const end = resolveU64(o.end, size);
        const got = s.bpf_dynptr_adjust(o.slot, start, end);
        const want = O.adjust(v, start, end);
        if (want.view.kind === 'file' && sl.kind === 'file') sl.st.view = want.view;
        else if (want.view.kind === 'local' && sl.kind === 'local') sl.view = want.view;
        return rec(got, want.ret);
      }
      case 'clone': {
        const sl = slots.get(o.slot);
        if (!usable(sl)) return rec(why(sl), why(sl));
        if (liveFileIn(o.to)) return rec('skip:live', 'skip:live');
        const got = s.bpf_dynptr_clone(o.slot, o.to);
        // "a bitwise copy … a FILE clone **shares** the allocated state"; "p null → clone set null, -EINVAL".
        if (sl.kind === 'local') slots.set(o.to, { kind: 'local', view: sl.view, buf: sl.buf });
        else slots.set(o.to, sl);
        return rec(got, sl.kind === 'null' ? O.EINVAL : 0);
      }
      case 'size': {
        const sl = slots.get(o.slot);
        if (!usable(sl)) return rec(why(sl), why(sl));
        const got = s.bpf_dynptr_size(o.slot);
        // 6.19 returns a u64 (the file-dynptr series widened bpf_dynptr_size; README "Decisions"):
        // -EINVAL as a u64 for a null dynptr, the full 64-bit size otherwise.
        const v = viewOf(sl);
        const want = v.kind === 'null' ? BigInt.asUintN(64, BigInt(O.EINVAL)) : BigInt.asUintN(64, v.size);
        return rec(got, want);
      }
      case 'discard': {
        const sl = slots.get(o.slot);
        if (!usable(sl)) return rec(why(sl), why(sl));
        if (sl.kind === 'local') return rec('skip:local', 'skip:local');
        const got = s.bpf_dynptr_file_discard(o.slot);
        if (sl.kind === 'file') {
          sl.st.freed = true;
          sl.st.reader.folio = null;
        }
        slots.set(o.slot, { kind: 'null' });
        return rec(got, 0);
      }
      case 'evict':
      case 'populate':
      case 'inject': {
        const f = built.files[o.file];
        const c = caches[o.file];
        if (f === undefined || c === undefined) throw new Error(`no file ${o.file}`);
        const at = BigInt(o.page) * PAGE;
        if (o.op === 'evict') {
          s.evict(f.path, at, PAGE);
          O.evict(c, o.page, held(o.file));
        } else if (o.op === 'populate') {
          s.populate(f.path, at, PAGE);
          O.populate(c, o.page);
        } else {
          s.injectIoError(f.path, at, 1);
          c.faults.set(o.page, (c.faults.get(o.page) ?? 0) + 1);
        }
        return rec('-', '-');
      }
    }
  };
  ops.forEach((o, i) => {
    step(o);
    if (negativeRefsAt < 0 && !refsNonNegative(s.world)) negativeRefsAt = i;
    onStep?.(s.world, i);
  });
  const liveFileSlots: string[] = [];
  const seen = new Set<ShadowState>();
  for (const [slot, sl] of slots) {
    if (sl.kind === 'file' && !sl.st.freed && !seen.has(sl.st)) {
      seen.add(sl.st);
      liveFileSlots.push(slot);
    }
  }
  return { world: s.world, steps, negativeRefsAt, liveFileSlots };
}

// ---------------------------------------------------------------------------------------------
// The reference property over every kind (P6, issue 14)
// ---------------------------------------------------------------------------------------------

/** The oracle's shadow of one slot: a ring record (shared by clones), a FILE state, or another kind. */
type KindShadow =
  | { readonly kind: 'null' }
  | { readonly kind: 'ringbuf'; readonly rec: O.RingRecordModel; view: O.KindView }
  | { readonly kind: 'file'; readonly st: { freed: boolean } }
  | { readonly kind: 'other'; view: O.KindView | null };

export interface KindRunResult {
  readonly session: Session;
  readonly ring: O.RingModel;
  readonly map: number;
  /** Steps whose model result differed from the oracle's. */
  readonly mismatches: readonly string[];
  /** Slots holding a live referenced dynptr at the end, one per reference (ring record or FILE state). */
  readonly liveRings: readonly { readonly slot: RefSlot; readonly rec: O.RingRecordModel }[];
  readonly liveFiles: readonly RefSlot[];
}

/**
 * Run `ops` over one ring buffer of `ringSize` bytes, an skb, an xdp_buff, a LOCAL buffer and a
 * file, with the oracle's ring shadow predicting every result. As in `runOps`, ops the verifier
 * would refuse (using a released reference, overwriting a live one, releasing the wrong kind) are
 * skipped. `onStep` sees the world after each op with the oracle's count of reserved records.
 */
export function runKindOps(ringSize: number, ops: readonly RefOp[], onStep?: (world: World, busy: number, i: number) => void): KindRunResult {
  const built = buildWorld([{ spec: { size: 8192n, content: { kind: 'pattern', seed: 1 }, secretmem: false }, cached: [0, 1] }]);
  const s = sessionOn(built.world, false);
  const file = built.files[0]!.id;
  const map = s.createMap({ name: 'rb', type: 'ringbuf', maxEntries: ringSize });
  const skb = s.packet({ kind: 'skb', data: fillBytes(3, 6000), linear: 100 });
  const xdp = s.packet({ kind: 'xdp', data: fillBytes(4, 6000) });
  const local = new Uint8Array(64);
  const ring = O.ringModel(ringSize);
  const slots = new Map<RefSlot, KindShadow>();
  const mismatches: string[] = [];
  const check = (i: number, what: string, got: unknown, want: unknown): void => {
    if (got !== want) mismatches.push(`step ${i} ${what}: got ${String(got)}, want ${String(want)}`);
  };
  /** A slot the verifier lets a program use: initialized, and its reference (if any) not released. */
  const live = (sh: KindShadow | undefined): sh is KindShadow =>
    sh !== undefined && !(sh.kind === 'ringbuf' && sh.rec.state !== 'busy') && !(sh.kind === 'file' && sh.st.freed);
  const referenced = (sh: KindShadow | undefined): boolean => sh !== undefined && live(sh) && (sh.kind === 'ringbuf' || sh.kind === 'file');

  ops.forEach((o, i) => {
    switch (o.op) {
      case 'reserve': {
        if (referenced(slots.get(o.slot))) break;
        const want = O.ringReserve(ring, BigInt(o.size), BigInt(o.flags));
        check(i, 'reserve', s.bpf_ringbuf_reserve_dynptr(map, o.size, o.flags, o.slot), want.ret);
        slots.set(o.slot, want.rec === null ? { kind: 'null' } : { kind: 'ringbuf', rec: want.rec, view: { kind: 'ringbuf', offset: 0n, size: BigInt(o.size), rdonly: false } });
        break;
      }
      case 'submit':
      case 'discard': {
        const sh = slots.get(o.slot);
        if (!live(sh) || (sh.kind !== 'ringbuf' && sh.kind !== 'null')) break;
        if (o.op === 'submit') s.bpf_ringbuf_submit_dynptr(o.slot, o.flags);
        else s.bpf_ringbuf_discard_dynptr(o.slot, o.flags);
        if (sh.kind === 'ringbuf') O.ringCommit(ring, sh.rec, BigInt(o.flags), o.op === 'discard');
        slots.set(o.slot, { kind: 'null' });
        check(i, 'wakeups', s.ringbuf(map).wakeups, ring.wakeups);
        break;
      }
      case 'fromFile':
      case 'fromSkb':
      case 'fromXdp':
      case 'fromMem': {
        if (referenced(slots.get(o.slot))) break;
        const got = o.op === 'fromFile' ? s.bpf_dynptr_from_file(file, o.flags, o.slot)
          : o.op === 'fromSkb' ? s.bpf_dynptr_from_skb(skb, o.flags, o.slot)
          : o.op === 'fromXdp' ? s.bpf_dynptr_from_xdp(xdp, o.flags, o.slot)
          : s.bpf_dynptr_from_mem(local, 64, o.flags, o.slot);
        check(i, o.op, got, o.flags === 0 ? 0 : O.EINVAL);
        const size = o.op === 'fromMem' ? 64n : 6000n;
        slots.set(o.slot, o.flags !== 0 ? { kind: 'null' } : o.op === 'fromFile' ? { kind: 'file', st: { freed: false } }
          : { kind: 'other', view: { kind: o.op === 'fromXdp' ? 'xdp' : 'skb', offset: 0n, size, rdonly: false } });
        break;
      }
      case 'fileDiscard': {
        const sh = slots.get(o.slot);
        if (!live(sh) || (sh.kind !== 'file' && sh.kind !== 'null')) break;
        check(i, 'fileDiscard', s.bpf_dynptr_file_discard(o.slot), 0);
        if (sh.kind === 'file') sh.st.freed = true;
        slots.set(o.slot, { kind: 'null' });
        break;
      }
      case 'clone': {
        const sh = slots.get(o.slot);
        if (!live(sh) || referenced(slots.get(o.to))) break;
        check(i, 'clone', s.bpf_dynptr_clone(o.slot, o.to), sh.kind === 'null' ? O.EINVAL : 0);
        // "a bitwise copy": a RINGBUF or FILE clone shares the record / state (one reference).
        slots.set(o.to, sh.kind === 'ringbuf' ? { kind: 'ringbuf', rec: sh.rec, view: sh.view } : sh.kind === 'other' ? { kind: 'other', view: sh.view } : sh);
        break;
      }
      case 'write': {
        const sh = slots.get(o.slot);
        if (!live(sh) || sh.kind === 'file') break;
        const src = fillBytes(o.seed, o.len);
        const view = sh.kind === 'ringbuf' ? sh.view : sh.kind === 'other' ? sh.view : null;
        const want = O.kindBounds(view, BigInt(o.off), BigInt(o.len), true);
        check(i, 'write', s.bpf_dynptr_write(o.slot, o.off, src, o.len, 0), want);
        if (want === 0 && sh.kind === 'ringbuf') sh.rec.bytes.set(src, Number(sh.view.offset) + o.off);
        break;
      }
      case 'adjust': {
        const sh = slots.get(o.slot);
        if (!live(sh) || sh.kind === 'file') break;
        const view = sh.kind === 'ringbuf' ? sh.view : sh.kind === 'other' ? sh.view : null;
        const size = view === null ? 0n : view.size;
        const start = resolveKindArg(o.start, size);
        const end = resolveKindArg(o.end, size);
        const want = O.kindAdjust(view, start, end);
        check(i, 'adjust', s.bpf_dynptr_adjust(o.slot, start, end), want.ret);
        if (want.view !== null && sh.kind === 'ringbuf') sh.view = want.view;
        if (sh.kind === 'other') sh.view = want.view;
        break;
      }
      case 'consume': {
        const got = s.ringbufConsume(map);
        const want = O.ringConsume(ring);
        check(i, 'consume count', got.length, want.length);
        got.forEach((g, j) => check(i, `consume record ${j}`, Buffer.compare(Buffer.from(g), Buffer.from(want[j] ?? new Uint8Array(0))), 0));
        check(i, 'consumer position', s.ringbuf(map).consumerPos, ring.cons);
        break;
      }
    }
    onStep?.(s.world, ring.records.filter((r) => r.state === 'busy').length, i);
  });
  const liveRings: { slot: RefSlot; rec: O.RingRecordModel }[] = [];
  const liveFiles: RefSlot[] = [];
  const seenRecs = new Set<O.RingRecordModel>();
  const seenFiles = new Set<object>();
  for (const [slot, sh] of slots) {
    if (sh.kind === 'ringbuf' && sh.rec.state === 'busy' && !seenRecs.has(sh.rec)) {
      seenRecs.add(sh.rec);
      liveRings.push({ slot, rec: sh.rec });
    }
    if (sh.kind === 'file' && !sh.st.freed && !seenFiles.has(sh.st)) {
      seenFiles.add(sh.st);
      liveFiles.push(slot);
    }
  }
  return { session: s, ring, map, mismatches, liveRings, liveFiles };
}
