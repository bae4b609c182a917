/**
 * The world's index of names (src/model/world/names.ts): what a name of an object, a global, a program
 * or a map stands for, kept as objects are loaded and maps made and freed, so that a lookup by name
 * costs one lookup (issue 17). Checked against its definition, computed here from the world's objects
 * and maps at every step of generated sessions and in every earlier world, and through the lookups
 * that read it: a global by name, a test run by name and a task's `map_update` by name, each against
 * "the first by id that has it" worked out from the objects and maps, and `mapId`, against "the one
 * map of the world with that name".
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { LoadError, program as P, Session, type BpfObject, type World } from '../src/index.ts';
import { Log, LogBuffer, pushAt, valuesAt, type LogHead } from '../src/model/world/log.ts';

const NAMES = ['a', 'b', 'c'] as const;
type Name = (typeof NAMES)[number];
const nameArb = fc.constantFrom(...NAMES);

/** A name of an object's C file: a global, a program (loaded or not: a `?` section), or a map; one ELF symbol each. */
interface Symbol { readonly name: Name; readonly kind: 'global' | 'prog' | 'prog?' | 'map' }
interface LoadOp { readonly op: 'load'; readonly name: Name; readonly symbols: Symbol[]; readonly fail: boolean }
interface MapOp { readonly op: 'createMap'; readonly name: Name; readonly type: 'hash' | 'array' | 'task_storage' }
interface BackOp { readonly op: 'back'; readonly at: number }
type Op = LoadOp | MapOp | BackOp;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({
    op: fc.constant('load' as const), name: nameArb,
    symbols: fc.uniqueArray(fc.record({ name: nameArb, kind: fc.constantFrom('global' as const, 'prog' as const, 'prog?' as const, 'map' as const) }), { selector: (x) => x.name }),
    fail: fc.boolean(),
  }), weight: 4 },
  // A task storage map made by BPF_MAP_CREATE has no BTF: -EINVAL, and nothing is filed.
  { arbitrary: fc.record({ op: fc.constant('createMap' as const), name: nameArb, type: fc.constantFrom('hash' as const, 'array' as const, 'task_storage' as const) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('back' as const), at: fc.nat() }), weight: 1 },
);

/**
 * An object of the op: each global holds `tag`, each program returns it. A failing load declares, after
 * its maps, an ARRAY map of 0 entries (`array_map_alloc_check`: -EINVAL), so libbpf closes the maps it
 * made for the object, and they are freed.
 */
function objectOf(o: LoadOp, tag: number): BpfObject {
  const of = (kind: Symbol['kind']): Name[] => o.symbols.filter((x) => x.kind === kind).map((x) => x.name);
  return {
    name: o.name,
    globals: of('global').map((g) => ({ name: g, kind: 'u64' as const, init: tag })),
    maps: [...of('map').map((m) => ({ name: m, type: 'hash' as const, maxEntries: 4, valueSize: 8, taskWorkFields: 0 })),
      ...(o.fail ? [{ name: 'zero', type: 'array' as const, maxEntries: 0, valueSize: 8, taskWorkFields: 0 }] : [])],
    subprogs: [],
    programs: o.symbols.filter((x) => x.kind === 'prog' || x.kind === 'prog?').map((p) => ({ name: p.name, section: p.kind === 'prog' ? 'syscall' : '?syscall', body: [P.ret(P.imm(tag))] })),
  };
}

/** The index as its definition gives it, from the world's objects and maps (ascending ids), sorted by key. */
function definition(w: World): [string, number[]][] {
  const out = new Map<string, number[]>();
  const add = (key: string, id: number): void => { const ids = out.get(key); if (ids === undefined) out.set(key, [id]); else ids.push(id); };
  const objects = [...w.objects.values()].sort((x, y) => x.id - y.id);
  for (const o of objects) {
    add(`object ${o.def.name}`, o.id);
    for (const g of o.globals.keys()) add(`global ${g}`, o.id);
    for (const p of o.progs.keys()) add(`prog ${p}`, o.id);
  }
  for (const [id, m] of [...w.maps].sort((x, y) => x[0] - y[0])) { add(`map ${m.name}`, id); add(`mapType ${m.type}`, id); }
  return [...out].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
}

/** What the session looks up by name, against the first by id worked out from the world's objects and maps. */
function checkLookups(s: Session, tags: ReadonlyMap<number, number>): void {
  const w = s.world;
  const objects = [...w.objects.values()].sort((x, y) => x.id - y.id);
  for (const n of NAMES) {
    const withGlobal = objects.find((o) => o.globals.has(n));
    expect([n, s.global(n)]).toEqual([n, withGlobal === undefined ? undefined : BigInt(tags.get(withGlobal.id) ?? -1)]);
    const withProg = objects.find((o) => o.progs.has(n));
    if (withProg !== undefined) {
      expect([n, s.progTestRun(n).retval]).toEqual([n, tags.get(withProg.id)]);
      s.world = w;
    }
    // The Session's map by name: the one map of the world with that name (an object's or createMap's).
    const maps = [...w.maps].filter(([, m]) => m.name === n).map(([id]) => id);
    if (maps.length === 1) expect(s.mapId(n)).toBe(maps[0]);
    else expect(() => s.mapId(n)).toThrow(maps.length === 0 ? /no map named/ : /one map of that name/);
    // With the object named, its own map of that name, whatever other maps have it.
    for (const o of objects) if (o.maps.has(n)) expect(s.mapId(n, o.id)).toBe(o.maps.get(n));
    const first = [...w.maps].filter(([, m]) => m.name === n && m.type === 'hash').sort((x, y) => x[0] - y[0])[0];
    const anyFirst = [...w.maps].filter(([, m]) => m.name === n).sort((x, y) => x[0] - y[0])[0];
    if (first !== undefined && first[0] === anyFirst?.[0]) {
      // A task's map_update names its map: key 1 goes into the first map of that name, and only there.
      s.spawn({ comm: 'upd', script: [{ sys: 'map_update', map: n, key: 1 }] });
      s.simulate();
      const named = [...w.maps].filter(([, m]) => m.name === n && m.type === 'hash').map(([id]) => [id, s.mapLookup(id, 1, new Uint8Array(8))]);
      expect(named).toEqual(named.map(([id]) => [id, id === first[0] ? 0 : -2]));
      s.world = w;
    }
  }
}

describe('the index of names (world/names.ts)', () => {
  test('is its definition at every step, in every earlier world, and the lookups by name answer as the first by id', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 14 }), (ops) => {
      const s = new Session();
      const worlds: World[] = [s.world];
      const tags = new Map<number, number>();
      ops.forEach((op, i) => {
        if (op.op === 'back') s.world = worlds[op.at % worlds.length] as World;
        else if (op.op === 'createMap') s.createMap({ type: op.type, name: op.name, maxEntries: 4, valueSize: 8 });
        else {
          try {
            tags.set(s.load(objectOf(op, 100 + i)), 100 + i);
            expect(op.fail).toBe(false);
          } catch (e) {
            expect(e).toBeInstanceOf(LoadError);
            expect(op.fail).toBe(true);
          }
        }
        worlds.push(s.world);
        expect([...s.world.names].map(([k, ids]) => [k, [...ids]])).toEqual(definition(s.world));
        checkLookups(s, tags);
      });
      for (const w of worlds) expect([...w.names].map(([k, ids]) => [k, [...ids]])).toEqual(definition(w));
    }), { numRuns: 60 });
  });
});

describe('Log.from (the events of one call, not the whole history)', () => {
  test('gives the values from an index on, on branched logs', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(), fc.array(fc.integer(), { maxLength: 5 }))), fc.nat(), (steps, start) => {
      const logs: Log<number>[] = [Log.empty()];
      const arrays: number[][] = [[]];
      for (const [at, xs] of steps) {
        const i = at % logs.length;
        logs.push((logs[i] as Log<number>).appendAll(xs));
        arrays.push([...(arrays[i] as number[]), ...xs]);
      }
      logs.forEach((l, i) => {
        const a = arrays[i] as number[];
        const from = start % (a.length + 2);
        expect(l.from(from)).toEqual(a.slice(from));
      });
    }));
    expect(() => Log.empty<number>().from(-1)).toThrow(/argument start/);
    expect(() => Log.empty<number>().from(0.5)).toThrow(/argument start/);
  });

  test('a log kept as its parts (pushAt, valuesAt: Log.append, Log.slice) appends one value at a time, on branched logs', () => {
    // Up to 5,000 values a branch: past 4,096 the next value starts a new chunk (exercised; only the values are observable).
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 5000 })), { maxLength: 8 }), fc.nat(), (steps, probe) => {
      const logs: { head: LogHead<number>; length: number }[] = [{ head: null, length: 0 }];
      const arrays: number[][] = [[]];
      let next = 0;
      for (const [at, n] of steps) {
        const i = at % logs.length;
        let { head, length } = logs[i] as { head: LogHead<number>; length: number };
        const xs: number[] = [];
        for (let j = 0; j < n; j += 1) {
          next += 1;
          head = pushAt(head, length, next);
          length += 1;
          xs.push(next);
        }
        logs.push({ head, length });
        arrays.push([...(arrays[i] as number[]), ...xs]);
      }
      logs.forEach(({ head, length }, i) => {
        const a = arrays[i] as number[];
        expect(length).toBe(a.length);
        expect(valuesAt(head, length, 0, length)).toEqual(a);
        const j = a.length === 0 ? 0 : probe % a.length;
        expect(valuesAt(head, length, j, length + 3)).toEqual(a.slice(j));
      });
    }), { numRuns: 40 });
  });

  test('a buffer of any length (a long run fills several chunks) appends its values in order, on branched logs', () => {
    // Lengths around the buffer's chunk sizes (256 values grown as an array, then chunks of 4,096).
    const len = fc.oneof(fc.nat(300), fc.integer({ min: 4000, max: 9000 }));
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(), len), { maxLength: 6 }), fc.nat(), (steps, probe) => {
      const logs: Log<number>[] = [Log.empty()];
      const arrays: number[][] = [[]];
      let next = 0;
      for (const [at, n] of steps) {
        const i = at % logs.length;
        const xs = Array.from({ length: n }, () => (next += 1));
        const buf = new LogBuffer<number>();
        for (const x of xs) buf.push(x);
        logs.push((logs[i] as Log<number>).appendBuffer(buf));
        arrays.push([...(arrays[i] as number[]), ...xs]);
        // The buffer gave its values up: it starts again empty.
        expect(buf.take()).toEqual([[]]);
      }
      logs.forEach((l, i) => {
        const a = arrays[i] as number[];
        expect(l.length).toBe(a.length);
        expect(l.toArray()).toEqual(a);
        const j = a.length === 0 ? 0 : probe % a.length;
        expect(l.at(j)).toBe(a[j]);
        expect(l.from(j)).toEqual(a.slice(j));
      });
    }), { numRuns: 40 });
  });

  test('a long buffer\'s values of every kind (its chunks past the first keep numbers apart from the rest) read back as they were pushed', () => {
    // Numbers a float64 holds exactly (-0, NaN, fractions, beyond 2^53, the largest) and values that are
    // not numbers, mixed: each value at each index is the one pushed there (`Object.is`).
    const value = fc.oneof(
      fc.double(), fc.integer(), fc.constantFrom(-0, 0, Number.NaN, Number.MAX_VALUE, -(2 ** 60), 2 ** 31, -(2 ** 31)),
      fc.string({ maxLength: 3 }), fc.bigInt(), fc.constantFrom(null, undefined, true), fc.record({ x: fc.nat() }),
    );
    const len = fc.oneof(fc.nat(300), fc.integer({ min: 4000, max: 9000 }));
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(), len, value, value, fc.nat(5)), { maxLength: 5 }), fc.nat(), (steps, probe) => {
      const logs: Log<unknown>[] = [Log.empty()];
      const arrays: unknown[][] = [[]];
      for (const [at, n, x, y, every] of steps) {
        const i = at % logs.length;
        // Runs of one kind and alternations: `y` at every `every + 1`-th index, `x` elsewhere, each of
        // them numbered apart when it is an object (a pushed object is that object when read).
        const xs = Array.from({ length: n }, (_, k) => (k % (every + 1) === 0 ? y : typeof x === 'object' && x !== null ? { ...x, k } : x));
        const buf = new LogBuffer<unknown>();
        for (const v of xs) buf.push(v);
        logs.push((logs[i] as Log<unknown>).appendBuffer(buf));
        arrays.push([...(arrays[i] as unknown[]), ...xs]);
      }
      logs.forEach((l, i) => {
        const a = arrays[i] as unknown[];
        expect(l.length).toBe(a.length);
        const all = l.toArray();
        for (let k = 0; k < a.length; k += 1) expect(Object.is(all[k], a[k])).toBe(true);
        const j = a.length === 0 ? 0 : probe % a.length;
        expect(Object.is(l.at(j), a[j])).toBe(true);
        const from = l.from(j);
        for (let k = 0; k < from.length; k += 1) expect(Object.is(from[k], a[j + k])).toBe(true);
      });
    }), { numRuns: 30 });
  });

  test('a long buffer\'s values taken as one array (takeValues) are its values in order; the buffer is then empty', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 9000 }), (n) => {
      const xs: unknown[] = Array.from({ length: n }, (_, k) => (k % 4 === 0 ? `s${k}` : k % 4 === 1 ? -k / 2 : k % 4 === 2 ? BigInt(k) : -0));
      const buf = new LogBuffer<unknown>();
      for (const v of xs) buf.push(v);
      const all = buf.takeValues();
      expect(all.length).toBe(n);
      for (let k = 0; k < n; k += 1) expect(Object.is(all[k], xs[k])).toBe(true);
      expect(buf.takeValues()).toEqual([]);
    }), { numRuns: 20 });
  });
});
