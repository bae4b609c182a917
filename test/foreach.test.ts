/**
 * `bpf_for_each_map_elem` (src/model/maps/foreach.ts), read in kernel/bpf/hashtab.c
 * (`bpf_for_each_hash_elem`), arraymap.c (`bpf_for_each_array_elem`) and verifier.c
 * (`set_map_elem_callback_state`, `check_mem_access` for PTR_TO_MAP_KEY). The host tier's `fe_*` cases
 * (6.18) and the guest's `ffe_*` (7.2) run the same programs on the kernels.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { EINVAL, KernsimError, NotModelledError, program as P, Session, verify, type BpfObject, type MapDecl, type Op } from '../src/index.ts';
import { jhash2 } from '../src/model/kernel/jhash.ts';

const ZERO_SEED = 64;

/** A program that inserts `keys`, then walks the map with a callback that records each key it gets (`seen[i]`) and runs `cbOps` after. */
function obj(map: Pick<MapDecl, 'type' | 'maxEntries'> & { flags?: number }, keys: readonly number[], cbOps: readonly Op[] = [], flags = 0): BpfObject {
  return {
    name: 'o', maps: [{ name: 'm', valueSize: 8, taskWorkFields: 0, ...map }],
    globals: [{ name: 'val', kind: 'bytes', size: 8 }, { name: 'seen', kind: 'u64s', size: 16 }, { name: 'n', kind: 'u64' }, { name: 'ret', kind: 'u64' }],
    subprogs: [{ name: 'cb', isStatic: true, returns: 'long', params: [{ name: 'mp', type: 'map' }, { name: 'k', type: 'ptr' }, { name: 'v', type: 'ptr' }, { name: 'ctx', type: 'ptr' }], body: [
      P.ld('key', 4, P.r('k'), 0), P.mov('i', P.glob('n')),
      ...Array.from({ length: 16 }, (_, j): Op[] => [P.goto(`no${j}`, P.when('i', '!=', P.imm(j))), P.storeAt('seen', j, P.r('key')), P.label(`no${j}`)]).flat(),
      P.alu('add', 'i', P.imm(1)), P.store('n', P.r('i')),
      ...cbOps,
      P.ret(P.imm(0)),
    ] }],
    programs: [{ name: 'p', section: 'syscall', body: [
      ...keys.map((k) => P.call('bpf_map_update_elem', [P.map('m'), P.imm(k), P.buf('val'), P.imm(0)])),
      P.call('bpf_for_each_map_elem', [P.map('m'), P.cb('cb'), P.NULL, P.imm(flags)], 'r'), P.store('ret', P.r('r')),
      P.ret(P.imm(0)),
    ] }],
  };
}

function run(o: BpfObject, opts: ConstructorParameters<typeof Session>[0] = {}): { s: Session; seen: number[]; ret: bigint } {
  const s = new Session(opts);
  s.load(o);
  expect(s.progTestRun('p').err).toBe(0);
  const n = Number(s.global('n'));
  const seen = [...(s.global('seen') as Uint8Array).slice(0, n * 8)].reduce<number[]>((a, b, i) => (i % 8 === 0 ? [...a, b] : a), []);
  return { s, seen, ret: s.global('ret') as bigint };
}

/** User space's walk of the map (BPF_MAP_GET_NEXT_KEY), the order the kernel's buckets give (test/buckets.test.ts). */
function walk(s: Session): number[] {
  const keys: number[] = [];
  for (let k = s.mapGetNextKey('m', null); k >= 0; k = s.mapGetNextKey('m', k)) keys.push(k);
  return keys;
}

describe('bpf_for_each_map_elem', () => {
  test('a hash map\'s elements in the order user space walks them, whatever the seed; the result is the number of calls', () => {
    for (const hashrnd of [0, 7, 0xfeedf00d]) {
      const { s, seen, ret } = run(obj({ type: 'hash', maxEntries: 8 }, [4, 9, 1, 12, 7, 3]), { hashrnd });
      expect(seen).toEqual(walk(s));
      expect(new Set(seen)).toEqual(new Set([4, 9, 1, 12, 7, 3]));
      expect(ret).toBe(6n);
    }
  });

  test('an array gives each index; flags are -EINVAL and call nothing; an empty map calls nothing', () => {
    expect(run(obj({ type: 'percpu_array', maxEntries: 3 }, [])).seen).toEqual([0, 1, 2]);
    const bad = run(obj({ type: 'hash', maxEntries: 4 }, [1], [], 2));
    expect([bad.seen, bad.ret]).toEqual([[], BigInt.asUintN(64, BigInt(-EINVAL))]);
    expect(run(obj({ type: 'lru_hash', maxEntries: 4 }, [])).ret).toBe(0n);
  });

  test('the callback may delete the element it was given (the next one was taken before): every element is visited, the map ends empty', () => {
    const { s, seen } = run(obj({ type: 'hash', maxEntries: 4, flags: ZERO_SEED }, [0, 1, 2, 3], [P.call('bpf_map_delete_elem', [P.map('m'), P.r('k')])]));
    expect(seen.length).toBe(4);
    expect(walk(s)).toEqual([]);
  });

  test('a key the callback inserts is visited when the walk reaches its bucket later, not when its bucket was passed', () => {
    // A map of 8 buckets (seed 0): key 4 in bucket 1; the callback, given it, inserts key 5 (bucket 6) and key 0 (bucket 0).
    expect([4, 5, 0].map((k) => jhash2([k], 0) & 7)).toEqual([1, 6, 0]);
    const adds = [P.goto('noadd', P.when('key', '!=', P.imm(4))), ...[5, 0].map((a) => P.call('bpf_map_update_elem', [P.map('m'), P.imm(a), P.buf('val'), P.imm(0)])), P.label('noadd')];
    const { s, seen, ret } = run(obj({ type: 'hash', maxEntries: 8, flags: ZERO_SEED }, [4], adds));
    expect([seen, ret]).toEqual([[4, 5], 2n]);
    expect(walk(s)).toEqual([0, 4, 5]);
  });

  test('deleting the next element of the walk is a NotModelledError (the kernel goes on through its stale link)', () => {
    // Two keys of one bucket of a map of 2 (2 buckets): the newer is visited first, the older is next.
    const keys = Array.from({ length: 64 }, (_, i) => i).filter((k) => (jhash2([k], 0) & 1) === (jhash2([0], 0) & 1));
    const [older, newer] = [keys[0] as number, keys[1] as number];
    const delNext = [P.goto('skip', P.when('key', '!=', P.imm(newer))), P.call('bpf_map_delete_elem', [P.map('m'), P.imm(older)]), P.label('skip')];
    expect(() => run(obj({ type: 'hash', maxEntries: 2 }, [older, newer], delNext))).toThrow(NotModelledError);
    // Deleting the one before it (already visited) is fine: the walk only looks ahead.
    const delPrev = [P.goto('skip', P.when('key', '!=', P.imm(older))), P.call('bpf_map_delete_elem', [P.map('m'), P.imm(newer)]), P.label('skip')];
    expect(run(obj({ type: 'hash', maxEntries: 2 }, [older, newer], delPrev)).seen).toEqual([newer, older]);
  });

  test('called outside a program run, it is a KernsimError (only the interpreter calls back into a program)', () => {
    const s = new Session();
    const m = s.createMap({ type: 'array', maxEntries: 2 }) as number;
    expect(() => s.bpf_for_each_map_elem(m, 'cb', null, 0n)).toThrow(KernsimError);
    expect(s.bpf_for_each_map_elem(m, 'cb', null, 1n)).toBe(-EINVAL);
  });
});

describe('bpf_for_each_map_elem whose callback changes the map it walks', () => {
  const KEYS = 160;
  const BUCKETS = 256;
  const bucket = (k: number): number => jhash2([k], 0) & (BUCKETS - 1);
  type Change = { readonly put: boolean; readonly key: number };

  /**
   * The kernel's walk (`bpf_for_each_hash_elem` since 75673fda0c55: each bucket from its head as it is
   * when reached, the next element taken before the callback runs), over buckets kept as lists newest
   * first: an update links its key at the head (a PERCPU_HASH updates a present key in place), a delete
   * unlinks it. The keys visited, and the buckets after the walk in user space's order.
   */
  function kernelWalk(percpu: boolean, initial: readonly number[], before: readonly Change[], changes: ReadonlyMap<number, readonly Change[]>): { seen: number[]; after: number[] } {
    const lists: number[][] = Array.from({ length: BUCKETS }, () => []);
    const put = (k: number): void => {
      const list = lists[bucket(k)] as number[];
      if (percpu && list.includes(k)) return;
      lists[bucket(k)] = [k, ...list.filter((x) => x !== k)];
    };
    const del = (k: number): void => { lists[bucket(k)] = (lists[bucket(k)] as number[]).filter((x) => x !== k); };
    initial.forEach(put);
    for (const c of before) (c.put ? put : del)(c.key);
    const seen: number[] = [];
    for (let b = 0; b < BUCKETS; b += 1) {
      for (let e = lists[b]?.[0]; e !== undefined;) {
        const list = lists[b] as number[];
        const next = list[list.indexOf(e) + 1];
        seen.push(e);
        for (const c of changes.get(e) ?? []) (c.put ? put : del)(c.key);
        e = next;
      }
    }
    return { seen, after: lists.flat() };
  }

  const change = (c: Change): Op => c.put ? P.call('bpf_map_update_elem', [P.map('m'), P.imm(c.key), P.buf('val'), P.imm(0)]) : P.call('bpf_map_delete_elem', [P.map('m'), P.imm(c.key)]);

  /** The program: the changes `before`, then the walk; the callback records each key (`seen`) and makes the changes listed for it. */
  function changer(type: 'hash' | 'percpu_hash', before: readonly Change[], changes: ReadonlyMap<number, readonly Change[]>): BpfObject {
    const record = Array.from({ length: KEYS }, (_, j): Op[] => [P.goto(`no${j}`, P.when('i', '!=', P.imm(j))), P.storeAt('seen', j, P.r('key')), P.label(`no${j}`)]).flat();
    const make = [...changes].flatMap(([v, cs]): Op[] => [
      P.goto(`not${v}`, P.when('key', '!=', P.imm(v))),
      ...cs.map(change),
      P.label(`not${v}`),
    ]);
    return {
      name: 'o', maps: [{ name: 'm', type, maxEntries: BUCKETS, valueSize: 8, taskWorkFields: 0, flags: ZERO_SEED }],
      globals: [{ name: 'val', kind: 'bytes', size: 8 }, { name: 'seen', kind: 'u64s', size: KEYS }, { name: 'n', kind: 'u64' }, { name: 'ret', kind: 'u64' }],
      subprogs: [{ name: 'cb', isStatic: true, returns: 'long', params: [{ name: 'mp', type: 'map' }, { name: 'k', type: 'ptr' }, { name: 'v', type: 'ptr' }, { name: 'ctx', type: 'ptr' }], body: [
        P.ld('key', 4, P.r('k'), 0), P.mov('i', P.glob('n')), ...record, P.alu('add', 'i', P.imm(1)), P.store('n', P.r('i')), ...make, P.ret(P.imm(0)),
      ] }],
      programs: [{ name: 'p', section: 'syscall', body: [
        ...before.map(change),
        P.call('bpf_for_each_map_elem', [P.map('m'), P.cb('cb'), P.NULL, P.imm(0)], 'r'), P.store('ret', P.r('r')),
        P.ret(P.imm(0)),
      ] }],
    };
  }

  test('deletes, inserts and updates of any keys but the walk\'s next, before it and from its callback: the keys visited, the result, the buckets after, against the kernel\'s walk', () => {
    const changeArb = fc.record({ put: fc.boolean(), key: fc.nat(KEYS - 1) });
    // Keys inserted from user space (the world's map, whose buckets are listed), then changes by the
    // program before its walk and from the callback (the draft's: applied to that listing).
    fc.assert(fc.property(
      fc.constantFrom('hash' as const, 'percpu_hash' as const),
      fc.array(fc.nat(KEYS - 1), { maxLength: 120, size: 'max' }),
      fc.array(changeArb, { maxLength: 160, size: 'max' }),
      fc.array(fc.tuple(fc.nat(KEYS - 1), fc.array(changeArb, { maxLength: 6 })), { maxLength: 40, size: 'max' }),
      (type, initial, before, listed) => {
        // The element after the visited one is in its bucket: a change to another key of that bucket
        // may unlink it, which the model refuses (NotModelledError, tested above).
        const changes = new Map(listed.map(([v, cs]) => [v, cs.filter((c) => c.key === v || bucket(c.key) !== bucket(v))] as const));
        const want = kernelWalk(type === 'percpu_hash', initial, before, changes);
        const s = new Session();
        s.load(changer(type, before, changes));
        for (const k of initial) expect(s.mapUpdate('m', k, new Uint8Array(8))).toBe(0);
        expect(s.progTestRun('p').err).toBe(0);
        const got = [...(s.global('seen') as Uint8Array)].filter((_, i) => i % 8 === 0).slice(0, Number(s.global('n')));
        expect(got).toEqual(want.seen);
        expect(s.global('ret')).toBe(BigInt(want.seen.length));
        expect(walk(s)).toEqual(want.after);
      },
    ), { numRuns: 40 });
  });
});

describe('bpf_for_each_map_elem: the verifier', () => {
  const message = (o: BpfObject, version: '6.18' | '7.2' = '6.18'): string | null => { const [v] = verify(o, version); return v?.ok === true ? null : (v?.message ?? '?'); };
  test('the callback gets the map, a read-only key of key_size bytes, the value, the context; it returns 0 or 1', () => {
    expect(message(obj({ type: 'hash', maxEntries: 4 }, [1]))).toBeNull();
    // (The register is the one the model guesses the compiler picks for `k`; fe_v_key_write checks it on the kernels.)
    expect(message(obj({ type: 'hash', maxEntries: 4 }, [1], [P.st(4, P.r('k'), 0, P.imm(1))]))).toMatch(/^write to change key R[1-9] not allowed$/);
    expect(message(obj({ type: 'hash', maxEntries: 4 }, [1], [P.ld('z', 2, P.r('k'), 3)]))).toBe('invalid access to map key, key_size=4 off=3 size=2');
    expect(message(obj({ type: 'hash', maxEntries: 4 }, [1], [P.ld('z', 8, P.r('v'), 4)]))).toBe('invalid access to map value, value_size=8 off=4 size=8');
    expect(message(obj({ type: 'array', maxEntries: 4 }, [], [P.call('bpf_probe_read_kernel', [P.r('k'), P.imm(4), P.imm(0)])]))).toBe('R1 cannot write into map_key');
  });

  test('a ring buffer, a queue and a stack have no walk: callback function not allowed for map (set_map_elem_callback_state, before the map type check)', () => {
    for (const type of ['ringbuf', 'queue', 'stack'] as const) {
      const o: BpfObject = { ...obj({ type: 'array', maxEntries: 1 }, []), maps: [{ name: 'm', type, maxEntries: 4096, valueSize: type === 'ringbuf' ? 0 : 8, taskWorkFields: 0 }] };
      expect(message(o)).toBe('callback function not allowed for map');
    }
  });
});
