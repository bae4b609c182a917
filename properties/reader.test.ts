/**
 * Properties of issue 12: the FILE reader's two mechanisms, files that change under it, and the
 * version widths. Expected values come from the oracle (oracle.ts) or are computed here from the
 * rules quoted next to them (SEMANTICS.md and the kernel functions named beside them); none is read from the model.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { expectEqual, expectIs } from './fast_expect.ts';
import { bytesFrom, expectBytes } from './bytes.ts';
import { content, listChooser, pageMap, program as Pr, refSnapshot, seededChooser, Session, U64_MAX, type BpfObject, type KernelVersion, type World } from '../src/index.ts';
import { mapPutUref } from '../src/model/maps/maps.ts';
import { expandRuns } from '../src/pagecache/index.ts';
import * as O from './oracle.ts';
import { worldCache } from './harness.ts';

const P = 4096;

/** Page index → state key of `pageMap` (with its `+ref`/`+ra`/`+dirty` suffixes). */
function states(s: Session, path: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const [key, ranges] of Object.entries(pageMap(s.world, path))) {
    for (const part of ranges.split(',')) {
      const [a, b] = part.split('-').map(Number) as [number, number | undefined];
      for (let p = a; p <= (b ?? a); p += 1) out.set(p, key);
    }
  }
  return out;
}

describe('the non-sleepable reader', () => {
  test('a page present but under I/O (locked) or whose read failed is -EFAULT to filemap_get_folio: only uptodate pages are read', () => {
    // Notes §1.3: "miss (ERR_PTR) or `!folio_test_uptodate` → … `-EFAULT`". Pages are put under I/O with
    // POSIX_FADV_WILLNEED (force_page_cache_ra: the pages of the range, no marker) and left in flight, or
    // completed with injected errors (failed), or completed (uptodate).
    const NP = 6;
    fc.assert(fc.property(
      fc.array(fc.constantFrom('none', 'locked', 'failed', 'uptodate'), { minLength: NP, maxLength: NP }),
      fc.integer({ min: 0, max: NP - 1 }), fc.integer({ min: 0, max: 3 * P }),
      (want, page, len) => {
        const s = new Session();
        s.createFile({ path: '/f', content: content.pattern(4), size: NP * P });
        const f = s.open('/f');
        for (const [p, st] of want.entries()) if (st === 'failed') s.injectIoError('/f', p * P, 1);
        for (const [p, st] of want.entries()) if (st === 'failed' || st === 'uptodate') s.fadvise(f, p * P, 1, 'WILLNEED');
        s.finishIo();
        for (const [p, st] of want.entries()) if (st === 'locked') s.fadvise(f, p * P, 1, 'WILLNEED');
        const got = states(s, '/f');
        for (const [p, st] of want.entries()) expectIs(got.get(p) ?? 'none', st);
        expectIs(s.bpf_dynptr_from_file(f, 0, 'd'), 0);
        const at = page * P + 100;
        const pages = O.pagesTouched(BigInt(at), BigInt(len));
        const ok = pages.every((p) => want[p] === 'uptodate');
        expectIs(s.bpf_dynptr_read(new Uint8Array(len), len, 'd', at, 0), ok ? 0 : O.EFAULT);
        // No page state changes (no I/O, no readahead, no marker).
        expectEqual(states(s, '/f'), new Map([...got].map(([p, st]) => [p, st === 'uptodate' && ok && p === pages.at(-1) ? 'uptodate+ref' : st])));
        expectIs(s.bpf_dynptr_file_discard('d'), 0);
      },
    ));
  });
});

describe('versions', () => {
  test('from 6.19 (7.0, 7.2 included) dynptr sizes and offsets are u64: a fresh FILE dynptr is U64_MAX long and offsets past 2^32 are not cut', () => {
    // SEMANTICS.md: "`bpf_dynptr_size(p)` → `__u64` from 6.19 (`__u32` on 6.18)"; "7.x:
    // `bpf_dynptr_adjust`/`bpf_dynptr_size` take and return u64 (6.18: u32), so a fresh FILE dynptr's
    // size reads as U64_MAX on 7.2". The file holds 2 pages from 2^32 on.
    fc.assert(fc.property(fc.constantFrom<KernelVersion>('6.19', '7.0', '7.2'), fc.bigInt(0n, 3n * 4096n), fc.bigInt(1n, 64n), (version, rel, len) => {
      const base = 1n << 32n;
      const s = new Session({ version });
      s.createFile({ path: '/f', content: content.pattern(7), size: base + 3n * 4096n });
      s.populate('/f', base, 3 * P);
      const f = s.open('/f');
      expectIs(s.bpf_dynptr_from_file(f, 0, 'd'), 0);
      expectIs(s.bpf_dynptr_size('d'), U64_MAX);
      const dst = new Uint8Array(Number(len));
      // A read at 2^32 + rel reads the file there (u32 would read at rel: an uncached page, -EFAULT).
      expectIs(s.bpf_dynptr_read(dst, len, 'd', base + rel, 0), rel + len <= 3n * 4096n ? 0 : O.EFAULT);
      if (rel + len <= 3n * 4096n) expectBytes(dst, O.expectedBytes(O.byteSource({ kind: 'pattern', seed: 7 }, base + 3n * 4096n), base + rel, Number(len)));
      // adjust(2^32, 2^32 + 1 + rel): a u32 would make it (0, 1 + rel), size 1 + rel either way, but the
      // offset moves: byte 0 of the view is file byte 2^32.
      expectIs(s.bpf_dynptr_adjust('d', base, base + 1n + rel), 0);
      expectIs(s.bpf_dynptr_size('d'), 1n + rel);
      const one = new Uint8Array(1);
      expectIs(s.bpf_dynptr_read(one, 1, 'd', 0, 0), 0);
      expectIs(one[0], O.expectedBytes(O.byteSource({ kind: 'pattern', seed: 7 }, base + 3n * 4096n), base, 1)[0]);
    }));
  });
});

describe('the sleeping reader', () => {
  const EXE = '/bin/reader';
  const TRIGGER = '/tmp/trigger';
  /** An `lsm.s/file_open` program (pid-filtered) reading `len` bytes at `off` of the task's exe into `out`. */
  function readerObject(off: number, len: number): BpfObject {
    return {
      name: 'rd', maps: [], subprogs: [],
      globals: [{ name: 'out', kind: 'bytes', size: len }, { name: 'ret', kind: 'int', init: 99 }, { name: 'user_pid', kind: 'int' }],
      programs: [{ name: 'rd', section: 'lsm.s/file_open', body: [
        Pr.call('bpf_get_current_pid_tgid', [], 'r1'), Pr.alu('rsh', 'r1', Pr.imm(32)), Pr.mov('r2', Pr.glob('user_pid')),
        Pr.goto('out', Pr.when('r1', '!=', Pr.r('r2'))),
        Pr.call('bpf_get_current_task_btf', [], 'r6'),
        Pr.call('bpf_get_task_exe_file', [Pr.r('r6')], 'r7'),
        Pr.goto('out', Pr.when('r7', '==', Pr.NULL)),
        Pr.call('bpf_dynptr_from_file', [Pr.r('r7'), Pr.imm(0), Pr.dynptr('d')], 'r0'),
        Pr.call('bpf_dynptr_read', [Pr.buf('out'), Pr.imm(len), Pr.dynptr('d'), Pr.imm(off), Pr.imm(0)], 'r8'),
        Pr.store('ret', Pr.r('r8')),
        Pr.call('bpf_dynptr_file_discard', [Pr.dynptr('d')]),
        Pr.call('bpf_put_file', [Pr.r('r7')]),
        Pr.label('out'), Pr.ret(Pr.imm(0)),
      ] }],
    };
  }

  test('a reader re-reading a folio whose readahead failed holds it while it sleeps: an eviction meanwhile keeps it; the read returns the bytes', () => {
    // Notes §3.2: "filemap_update_page: … unlocked and not uptodate → filemap_read_folio", which waits
    // for its own read holding the batch's reference on the folio; invalidation skips a folio "held by
    // anyone else (refcount …)". Another task evicts the file at a generated time and in a generated
    // order of equal-time events; whenever that eviction falls while the reader holds the folio (from
    // its re-read's submission to its return), the folio must be kept.
    let inWindow = 0;
    /** The files, the injected error and the loaded reader: one world for each of the 4 pages (`worldCache`). */
    const loaded = worldCache();
    fc.assert(fc.property(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 90, max: 320 }), fc.string({ minLength: 1, maxLength: 6 }), (page, at, seed) => {
      const s = new Session();
      s.world = loaded(`${page}`, () => {
        const b = new Session();
        b.createFile({ path: EXE, content: content.pattern(11), size: 4 * P, ioLatency: 100 });
        b.createFile({ path: TRIGGER, content: content.zero(), size: 16 });
        b.injectIoError(EXE, page * P + 5, 1); // the readahead's read of the page fails, the re-read succeeds
        b.load(readerObject(page * P + 8, 64));
        return b.world;
      });
      s.spawn({ comm: 'reader', exe: EXE, script: [{ sys: 'set_global', global: 'user_pid', value: 'pid' }, { sys: 'open', path: TRIGGER, fd: 't' }, { sys: 'close', fd: 't' }] });
      s.spawn({ comm: 'evictor', exe: EXE, script: [{ sys: 'sleep', ticks: at }, { sys: 'open', path: EXE, fd: 'e' }, { sys: 'fadvise_dontneed', fd: 'e' }, { sys: 'close', fd: 'e' }] });
      s.simulate(seededChooser(seed));
      expectIs(s.global('ret'), 0n);
      expectBytes(s.global('out'), O.expectedBytes(O.byteSource({ kind: 'pattern', seed: 11 }, BigInt(4 * P)), BigInt(page * P + 8), 64));
      const evs = s.events();
      const submits = evs.flatMap((e, i) => (e.kind === 'io_submit' && e.pgoff === page ? [i] : []));
      expect(submits.length).toBeGreaterThanOrEqual(2);
      const from = submits[1] as number;
      const to = evs.findIndex((e, i) => i > from && e.kind === 'kfunc' && e.name === 'bpf_dynptr_read');
      evs.forEach((e, i) => {
        if (i <= from || i >= to || e.kind !== 'pagecache' || e.op !== 'evict') return;
        inWindow += 1;
        expect(expandRuns(e.pages)).not.toContain(page);
        expect(expandRuns(e.kept)).toContain(page);
      });
      expectIs(refSnapshot(s.world).folioRefs, 0);
    }), {
      // Two runs whose eviction falls in the window (found by a search of the inputs), so that the
      // window is reached at any seed and number of runs; the generated runs add more.
      examples: [[0, 175, 'ref'], [1, 174, 'd4uw5T']],
    });
    expect(inWindow).toBeGreaterThan(0);
  });
});

describe('HASH / LRU element memory and task_work (docs/task_work.md, Q4)', () => {
  const EXE = '/bin/app';
  const TRIGGER = '/tmp/trigger';
  /** Hook: insert key 0, schedule on it. Callback, first run: delete key 0, schedule through `value`; with `reuse`, insert key 1 and schedule on it. */
  function object(type: 'hash' | 'lru_hash', noPrealloc: boolean, reuse: boolean): BpfObject {
    const map = 'm';
    const body = [
      Pr.mov('r8', Pr.r('r3')),
      Pr.mov('r1', Pr.glob('runs')), Pr.alu('add', 'r1', Pr.imm(1)), Pr.store('runs', Pr.r('r1')),
      Pr.goto('done', Pr.when('r1', '!=', Pr.imm(1))),
      Pr.call('bpf_map_delete_elem', [Pr.map(map), Pr.imm(0)], 'r0'), Pr.store('del', Pr.r('r0')),
      Pr.call('bpf_get_current_task_btf', [], 'r7'),
      Pr.call('bpf_task_work_schedule_signal_impl', [Pr.r('r7'), Pr.tw('r8'), Pr.map(map), Pr.cb('cb'), Pr.NULL], 'r0'), Pr.store('again', Pr.r('r0')),
      ...(reuse ? [
        Pr.call('bpf_map_update_elem', [Pr.map(map), Pr.imm(1), Pr.buf('val'), Pr.imm(0)], 'r0'),
        Pr.call('bpf_map_lookup_elem', [Pr.map(map), Pr.imm(1)], 'r9'),
        Pr.goto('done', Pr.when('r9', '==', Pr.NULL)),
        Pr.call('bpf_task_work_schedule_signal_impl', [Pr.r('r7'), Pr.tw('r9'), Pr.map(map), Pr.cb('cb'), Pr.NULL], 'r0'), Pr.store('on1', Pr.r('r0')),
      ] : []),
      Pr.label('done'), Pr.ret(Pr.imm(0)),
    ];
    return {
      name: 'q4', maps: [{ name: map, type, maxEntries: 4, valueSize: 8, taskWorkFields: 1, ...(noPrealloc ? { noPrealloc } : {}) }],
      // A value to update with: value_size is 16, the data and the bpf_task_work field.
      globals: [...['runs', 'del', 'again', 'on1', 'first', 'user_pid'].map((name) => ({ name, kind: 'int' as const, init: name === 'runs' || name === 'user_pid' ? 0 : 99 })), { name: 'val', kind: 'bytes' as const, size: 16 }],
      programs: [{ name: 'hook', section: 'lsm/file_open', body: [
        Pr.call('bpf_get_current_pid_tgid', [], 'r1'), Pr.alu('rsh', 'r1', Pr.imm(32)), Pr.mov('r2', Pr.glob('user_pid')),
        Pr.goto('out', Pr.when('r1', '!=', Pr.r('r2'))),
        Pr.call('bpf_map_update_elem', [Pr.map(map), Pr.imm(0), Pr.buf('val'), Pr.imm(0)], 'r0'),
        Pr.call('bpf_map_lookup_elem', [Pr.map(map), Pr.imm(0)], 'r6'),
        Pr.goto('out', Pr.when('r6', '==', Pr.NULL)),
        Pr.call('bpf_get_current_task_btf', [], 'r7'),
        Pr.call('bpf_task_work_schedule_signal_impl', [Pr.r('r7'), Pr.tw('r6'), Pr.map(map), Pr.cb('cb'), Pr.NULL], 'r0'), Pr.store('first', Pr.r('r0')),
        Pr.label('out'), Pr.ret(Pr.imm(0)),
      ] }],
      subprogs: [{ name: 'cb', isStatic: true, body }],
    };
  }

  /** The world with the files and the object loaded, made once for each of the 6 objects (`worldCache`). */
  const loaded = worldCache();
  function loadedWorld(type: 'hash' | 'lru_hash', noPrealloc: boolean, reuse: boolean): World {
    return loaded(`${type}/${noPrealloc}/${reuse}`, () => {
      const s = new Session();
      s.createFile({ path: EXE, content: content.zero(), size: P });
      s.createFile({ path: TRIGGER, content: content.zero(), size: 16 });
      s.load(object(type, noPrealloc, reuse));
      return s.world;
    });
  }

  test('a callback deleting its own element and scheduling again through its value gets 0 and runs once more; the context stays with the memory', () => {
    // Notes §7.2: "schedule on a deleted element's value behaves like schedule on a live one (fresh ctx,
    // 0, callback runs once more); the ctx is owned by the memory slot": the next insert takes the freed
    // memory (LIFO free lists) with its pending context, so scheduling on key 1 is -EBUSY; the context
    // is freed by the uref sweep (preallocated maps: every element memory; NO_PREALLOC: linked ones only,
    // so a context on memory no element took is left, the model's documented choice).
    fc.assert(fc.property(
      fc.constantFrom(['hash', false] as const, ['hash', true] as const, ['lru_hash', false] as const), fc.boolean(), fc.array(fc.nat({ max: 3 }), { maxLength: 30 }),
      ([type, noPrealloc, ], reuse, choices) => {
        const s = new Session();
        s.world = loadedWorld(type, noPrealloc, reuse);
        s.spawn({ comm: 'app', exe: EXE, script: [{ sys: 'set_global', global: 'user_pid', value: 'pid' }, { sys: 'open', path: TRIGGER, fd: 't' }, { sys: 'close', fd: 't' }] });
        s.simulate(listChooser(choices));
        // When the irq_work runs is the chooser's (SEMANTICS.md: "0 only means the irq_work was queued;
        // an exited target drops the work silently"): a callback whose irq_work came after the task's
        // exit-time task_work_run is dropped (task_work_add -ESRCH); the others run.
        const adds = s.events().filter((e) => e.kind === 'task_work' && e.op === 'add' && e.work.startsWith('bpf_task_work_callback'));
        const queued = adds.filter((e) => e.kind === 'task_work' && e.detail.endsWith('= 0')).length;
        expectIs(s.global('first'), 0n);
        expectIs(s.global('runs'), BigInt(queued));
        // Once the first callback ran, it deleted its element and scheduled again: a second add.
        if (queued > 0) {
          expectIs(adds[0]!.kind === 'task_work' && adds[0]!.detail.endsWith('= 0'), true);
          expectIs(s.global('del'), 0n);
          expectIs(s.global('again'), 0n);
          expectIs(adds.length, 2);
          if (reuse) expectIs(BigInt.asIntN(32, s.global('on1') as bigint), -16n); // -EBUSY
        }
        // The loader's last user reference goes: the sweep frees the contexts it sees. A context is left
        // only on the memory of the deleted element that no insert took (NO_PREALLOC, no reuse), and
        // only when the first callback ran: a callback dropped at exit deleted nothing, and the one
        // context sits on a live element's memory, which the sweep sees.
        s.run((k) => mapPutUref(k, [...k.s.maps.values()][0]!.id));
        s.simulate();
        const left = Object.keys(refSnapshot(s.world).twctx).length;
        expectIs(left, noPrealloc && !reuse && queued > 0 ? 1 : 0);
      },
    ));
  });
});

describe('files that change under a reader (notes §6)', () => {
  type Step =
    | { k: 'pwrite'; off: number; len: number; fill: number }
    | { k: 'append'; len: number; fill: number }
    | { k: 'trunc'; size: number }
    | { k: 'fsync' }
    | { k: 'evict'; page: number }
    | { k: 'read'; sleepable: boolean; off: number; len: number };
  const NP = 6;
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 2, arbitrary: fc.record({ k: fc.constant('pwrite' as const), off: fc.integer({ min: 0, max: (NP + 1) * P }), len: fc.integer({ min: 1, max: 2 * P }), fill: fc.nat({ max: 255 }) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('append' as const), len: fc.integer({ min: 1, max: P }), fill: fc.nat({ max: 255 }) }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('trunc' as const), size: fc.oneof(fc.integer({ min: 0, max: NP + 1 }).map((x) => x * P), fc.integer({ min: 0, max: (NP + 1) * P })) }) },
    { weight: 1, arbitrary: fc.constant({ k: 'fsync' as const }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('evict' as const), page: fc.integer({ min: 0, max: NP + 1 }) }) },
    { weight: 5, arbitrary: fc.record({ k: fc.constant('read' as const), sleepable: fc.boolean(), off: fc.integer({ min: 0, max: (NP + 1) * P }), len: fc.integer({ min: 0, max: 2 * P }) }) },
  );

  test('writes, appends and truncations move i_size and the pages; both readers see what the oracle computes, a held folio truncated away included', () => {
    // The filesystem's block size too: blocks smaller than a page make partly written pages `partial`.
    const size0 = NP * P - 300;
    // The file's first bytes, as the oracle reads them: the same for every run (computed once, copied).
    const at0 = O.byteSource({ kind: 'pattern', seed: 13 }, BigInt(size0));
    const bytes0 = bytesFrom(size0, (i) => at0(BigInt(i)));
    // The kernel version too: 7.x zeroes the old end's block before a write past it.
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: NP - 1 }), { maxLength: NP }), fc.array(step, { minLength: 1, maxLength: 12 }), fc.constantFrom(4096, 1024, 512, 2048), fc.constantFrom('6.19' as const, '7.2' as const), (warm, steps, blockSize, version) => {
      const s = new Session({ version });
      s.createFile({ path: '/f', content: content.pattern(13), size: size0, blockSize });
      for (const p of warm) s.populate('/f', p * P, P);
      const rw = s.open('/f', 'O_RDWR');
      const ap = s.open('/f', 'O_WRONLY|O_APPEND');
      expectIs(s.bpf_dynptr_from_file(rw, 0, 'n'), 0); // non-sleepable reader
      s.sleepable(true);
      expectIs(s.bpf_dynptr_from_file(rw, 0, 's'), 0);
      s.sleepable(false);
      const m = O.cacheModel(BigInt(size0), false, warm, [], blockSize);
      const bytes: O.FileBytes = { data: bytes0.slice(), length: bytes0.length };
      const reader: O.ReaderModel = { folio: null };
      const detached = new Map<number, Uint8Array>();
      for (const st of steps) {
        switch (st.k) {
          case 'pwrite': case 'append': {
            const data = bytesFrom(st.len, (i) => st.fill + 3 * i);
            const off = st.k === 'append' ? Number(m.size) : st.off;
            const got = st.k === 'append' ? s.write(ap, data) : s.pwrite(rw, data, st.off);
            expectIs(got, O.write(m, bytes, off, data, version === '7.2'));
            break;
          }
          case 'trunc':
            expectIs(s.ftruncate(rw, st.size), O.truncate(m, bytes, st.size, new Set(reader.folio === null ? [] : [reader.folio]), detached));
            break;
          case 'fsync':
            expectIs(s.fsync(rw), 0);
            O.fsync(m);
            break;
          case 'evict':
            s.evict('/f', st.page * P, P);
            O.evict(m, st.page, new Set(reader.folio === null || detached.has(reader.folio) ? [] : [reader.folio]));
            break;
          case 'read': {
            const dst = new Uint8Array(st.len).fill(0xee);
            s.sleepable(st.sleepable);
            const got = s.bpf_dynptr_read(dst, st.len, st.sleepable ? 's' : 'n', st.off, 0);
            s.sleepable(false);
            const before = reader.folio;
            // The held folio serves the non-sleepable reader only for a read that starts inside it: a read
            // starting elsewhere puts it before looking anything up (freader_get_folio), even when the
            // read comes back to a new folio of the same page later.
            const startPage = Math.floor(st.off / P);
            const heldPage = !st.sleepable && before !== null && startPage === before ? before : null;
            const held = heldPage === null ? undefined : detached.get(heldPage);
            const want = O.fileRead(m, BigInt(st.off), BigInt(st.len), st.sleepable, reader);
            // A detached folio the reader moved off is gone for good.
            if (before !== null && (reader.folio !== before || (!st.sleepable && startPage !== before))) detached.delete(before);
            expectIs(got, want.ret);
            if (got === 0) {
              const exp = bytesFrom(st.len, (i) => {
                const pos = st.off + i;
                const page = Math.floor(pos / P);
                const snap = page === heldPage ? held : undefined;
                return snap !== undefined ? (snap[pos - page * P] as number) : pos < Number(m.size) ? O.byteOf(bytes, pos) : 0;
              });
              expectBytes(dst, exp);
            }
            break;
          }
        }
        s.finishIo();
        O.completeAll(m);
        expectIs(s.world.inodes.get(s.world.paths.get('/f')!)!.size, m.size);
        // Every page's state as the oracle tracks it (order-0 folios: no large folios here).
        const got = new Map([...states(s, '/f')].map(([p, key]) => [p, key.replace(/\+.*$/, '')]));
        const want = new Map([...m.uptodate, ...m.partial, ...m.failed].map((p) => [p, O.stateOf(m, p) as string]));
        expectEqual(got, want);
        // And which blocks of each partial page are uptodate.
        const mapping = s.world.pagecache.get(s.world.paths.get('/f')!)!;
        expectEqual(new Map([...m.partial].map((p) => [p, mapping.blocks.get(p) ?? 0])), new Map([...m.partial].map((p) => [p, m.blocks.get(p) ?? 0])));
      }
      expectIs(s.bpf_dynptr_file_discard('n'), 0);
      expectIs(s.bpf_dynptr_file_discard('s'), 0);
      expectIs(refSnapshot(s.world).folioRefs, 0);
    }));
  });
});
