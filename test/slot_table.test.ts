/**
 * A map's element memory, its elements and its LRU lists are `SlotTable`s (src/model/maps/slots.ts):
 * a persistent trie that immer drafts node by node. Checked here: it behaves as a `Map` of numbers
 * iterated in ascending order; a draft changes only the draft; and a map syscall on a map of 100,000
 * entries copies only the nodes on its paths, so its cost does not grow with the map (issue 17).
 */
import fc from 'fast-check';
import { enableMapSet, Immer } from 'immer';
import { describe, expect, test } from 'vitest';
import { SlotTable } from '../src/model/maps/slots.ts';
import { Session } from '../src/index.ts';

enableMapSet();

type Op = { op: 'set'; id: number; v: number } | { op: 'delete'; id: number };
const idArb = fc.oneof(fc.nat(40), fc.nat(5000), fc.constantFrom(0, 31, 32, 1023, 1024, 2 ** 31 - 1, 2 ** 32 - 1));
const opsArb = fc.array(fc.oneof(
  fc.record({ op: fc.constant('set' as const), id: idArb, v: fc.integer() }),
  fc.record({ op: fc.constant('delete' as const), id: idArb }),
), { maxLength: 200 });

function apply(t: SlotTable<number>, m: Map<number, number>, o: Op): void {
  if (o.op === 'set') {
    t.set(o.id, o.v);
    m.set(o.id, o.v);
  } else {
    expect(t.delete(o.id)).toBe(m.delete(o.id));
  }
}

/** The nodes of `a` that are not nodes of `b` (the same object), walking only where they differ. */
function nodesNotShared(a: unknown[], b: unknown[]): number {
  if (a === b) return 0;
  let n = 1;
  for (let i = 0; i < a.length; i += 1) {
    const x = a[i];
    const y = b[i];
    if (Array.isArray(x) && Array.isArray(y)) n += nodesNotShared(x, y);
    else if (Array.isArray(x)) n += 1;
  }
  return n;
}

describe('SlotTable', () => {
  test('is a Map of numbers: the same answers, size and entries (in ascending order) after any operations', () => {
    fc.assert(fc.property(opsArb, fc.array(idArb, { maxLength: 20 }), (ops, probes) => {
      const t = new SlotTable<number>();
      const m = new Map<number, number>();
      for (const o of ops) apply(t, m, o);
      expect(t.size).toBe(m.size);
      expect([...t]).toEqual([...m].sort((a, b) => a[0] - b[0]));
      expect([...t.keys()]).toEqual([...m.keys()].sort((a, b) => a - b));
      expect([...t.values()]).toEqual([...m].sort((a, b) => a[0] - b[0]).map(([, v]) => v));
      for (const id of [...probes, -1, 0.5, 2 ** 53]) {
        expect(t.get(id)).toBe(m.get(id));
        expect(t.has(id)).toBe(m.has(id));
      }
    }));
  });

  test('through an immer draft: the draft sees its changes, the table it came from keeps its own', () => {
    const immer = new Immer({ autoFreeze: false });
    fc.assert(fc.property(opsArb, opsArb, (first, second) => {
      const t = new SlotTable<number>();
      const m = new Map<number, number>();
      for (const o of first) apply(t, m, o);
      const before = [...t];
      const m2 = new Map(m);
      const d = immer.createDraft({ t });
      for (const o of second) apply(d.t as SlotTable<number>, m2, o);
      const after = (immer.finishDraft(d) as { t: SlotTable<number> }).t;
      expect([...t]).toEqual(before);
      expect([...after]).toEqual([...m2].sort((a, b) => a[0] - b[0]));
      expect(after.size).toBe(m2.size);
      expect(after).toBeInstanceOf(SlotTable);
    }));
  });

  test('an element memory taken through a draft is drafted: changing it changes only the new table', () => {
    const immer = new Immer({ autoFreeze: false });
    const t = new SlotTable<{ key: number }>();
    for (let i = 0; i < 3000; i += 1) t.set(i, { key: i });
    const d = immer.createDraft({ t });
    (d.t.get(1500) as { key: number }).key = -1;
    const after = (immer.finishDraft(d) as { t: SlotTable<{ key: number }> }).t;
    expect(t.get(1500)?.key).toBe(1500);
    expect(after.get(1500)?.key).toBe(-1);
    // Only the path to 1500 was copied: the root and one node per level below it.
    expect(nodesNotShared(after.root, t.root)).toBe(3);
    expect(after.get(1499)).toBe(t.get(1499));
  });
});

describe('a map syscall copies the paths it touches, not the map (100,000 entries)', () => {
  for (const type of ['hash', 'array', 'lru_hash'] as const) {
    test(`${type}: an update and a lookup share all but a few nodes with the world before`, () => {
      const s = new Session();
      const id = s.createMap({ name: 'm', type, maxEntries: 100_000, valueSize: 8 }) as number;
      expect(id).toBeGreaterThan(0);
      for (let key = 0; key < 16; key += 1) expect(s.mapUpdate(id, key, new Uint8Array(8).fill(key))).toBe(0);
      const before = s.world.maps.get(id);
      expect(s.mapUpdate(id, 7, new Uint8Array(8).fill(0xaa))).toBe(0);
      const after = s.world.maps.get(id);
      if (before === undefined || after === undefined) throw new Error('no map');
      // The element memory and the elements: at most the root and one node a level of each changed path
      // (an update of a present HASH key takes other memory: two paths; tries of 100,000 ids have 4 levels).
      expect(nodesNotShared(after.slots.root as unknown[], before.slots.root as unknown[])).toBeLessThanOrEqual(8);
      expect(nodesNotShared(after.elems.root as unknown[], before.elems.root as unknown[])).toBeLessThanOrEqual(8);
      if (before.lru !== null && after.lru !== null) {
        for (const k of ['next', 'prev', 'list', 'ref'] as const) expect(nodesNotShared(after.lru[k].root as unknown[], before.lru[k].root as unknown[])).toBeLessThanOrEqual(40);
      }
      const out = new Uint8Array(8);
      expect(s.mapLookup(id, 7, out)).toBe(0);
      expect([...out]).toEqual(new Array<number>(8).fill(0xaa));
      const w = s.world;
      expect(w.maps.get(id)?.slots).toBe(after.slots);
    });
  }

  test('the world\'s maps are a trie too: an update of one of 2,000 maps copies a path of it, every other map shared', () => {
    const s = new Session();
    const ids = Array.from({ length: 2000 }, (_, i) => s.createMap({ name: `m${i}`, type: 'hash', maxEntries: 4, valueSize: 8 }) as number);
    const target = ids[1234] as number;
    const before = s.world;
    expect(s.mapUpdate(target, 1, new Uint8Array(8).fill(3))).toBe(0);
    const after = s.world;
    // ids up to 2,000 take three levels of 32: the root and one node a level changed.
    // The world shows its tables read-only (no `set`, no `root` in the type): the trie under them.
    const trie = (t: unknown): unknown[] => {
      if (!(t instanceof SlotTable)) throw new Error('the world\'s maps are not a SlotTable');
      return t.root;
    };
    expect(nodesNotShared(trie(after.maps), trie(before.maps))).toBe(3);
    expect(ids.filter((id) => after.maps.get(id) !== before.maps.get(id))).toEqual([target]);
    expect(before.maps.get(target)?.elems.size).toBe(0);
    expect(after.maps.get(target)?.elems.size).toBe(1);
  });

  test('a HASH map\'s free list of 3,000 deleted elements: an insert takes the last freed memory and copies a path of it', () => {
    const s = new Session();
    const id = s.createMap({ name: 'h', type: 'hash', maxEntries: 100_000, valueSize: 8 }) as number;
    const keys = Array.from({ length: 3000 }, (_, i) => i);
    expect(s.mapUpdateBatch(id, keys, new Uint8Array(8 * keys.length)).count).toBe(3000);
    const slotOfKey = (key: number): number | undefined => s.world.maps.get(id)?.elems.get(key)?.slot;
    const lastFreed = slotOfKey(2999);
    expect(s.mapDeleteBatch(id, keys).count).toBe(3000);
    const before = s.world.maps.get(id);
    expect(before?.free.size).toBe(3000);
    expect(s.mapUpdate(id, 7, new Uint8Array(8))).toBe(0);
    const after = s.world.maps.get(id);
    if (before === undefined || after === undefined) throw new Error('no map');
    // LIFO: the memory deleted last (key 2999's) is taken first; the list's other nodes are shared.
    expect(slotOfKey(7)).toBe(lastFreed);
    expect(after.free.size).toBe(2999);
    expect(nodesNotShared(after.free.root as unknown[], before.free.root as unknown[])).toBeLessThanOrEqual(4);
  });

  test('a preallocated HASH map makes element memory when an element first takes it, the last first', () => {
    const s = new Session();
    const id = s.createMap({ name: 'h', type: 'hash', maxEntries: 100_000, valueSize: 8 }) as number;
    const m0 = s.world.maps.get(id);
    // Only the extra element (htab_has_extra_elems) exists before any insert.
    expect([m0?.slots.size, m0?.fresh, m0?.extra]).toEqual([1, 100_000, 100_000]);
    expect(s.mapUpdate(id, 5, new Uint8Array(8))).toBe(0);
    expect(s.mapUpdate(id, 6, new Uint8Array(8))).toBe(0);
    const m1 = s.world.maps.get(id);
    // pcpu_freelist_populate pushed elements 0 … max − 1 in order: the first insert takes the last.
    expect([m1?.elems.get(5)?.slot, m1?.elems.get(6)?.slot, m1?.fresh]).toEqual([99_999, 99_998, 99_998]);
    // A deleted element's memory goes on the free list and is taken before any fresh memory.
    expect(s.mapDelete(id, 5)).toBe(0);
    expect(s.mapUpdate(id, 9, new Uint8Array(8))).toBe(0);
    expect(s.world.maps.get(id)?.elems.get(9)?.slot).toBe(99_999);
  });
});
