/**
 * `npm run bench:maps` (and the end of `npm run bench`): a map syscall's cost against the map's size
 * (issue 17: every call costs the same however large the world grows). For HASH, ARRAY and LRU_HASH,
 * four commands through the Session, each one transition from the same world: an update of a present
 * key, a lookup of one, a batch lookup of up to 64 elements (a hash map's 16, an ARRAY's indexes
 * 0–63), and the close of the map's last fd; on a map of 16 elements whose `max_entries`
 * is 64, and on one whose `max_entries` is 100,000. CPU time (process.cpuUsage), samples of 100
 * commands, the two sizes alternated, the median of 31 samples each. Goal ≤ 2×.
 * - Until stop 42 a map's element memory, elements and LRU lists were whole `Map`s and arrays in immer's
 *   state, copied by the first look from a transition: 36 ms an update (HASH), 102 ms (ARRAY), 14 ms
 *   (LRU_HASH) at 100,000 entries, against 0.1–0.2 ms at 64 (src/model/maps/slots.ts).
 * - Until stop 45 a hash map's batch lookup looked for each bucket's elements among all the map's, through
 *   immer's draft, bucket after bucket: 2.1 ms (HASH) and 1.0 ms (LRU_HASH) at 64 entries, 1.5 s at 100,000
 *   (src/model/maps/buckets.ts now lists a world's buckets once; bench/README.md "Maps, stop 45").
 * - A walk of a whole HASH map by BPF_MAP_GET_NEXT_KEY, µs a key, with 1,000 and 100,000 keys (the
 *   median of 5 walks each): until stop 45 each call looked for the next key among all the map's
 *   elements, 168 µs a call with 1,000 keys, 2.4 ms with 50,000 (a walk of 50,000 keys: two minutes).
 * - Until stop 46 the close of a map's last fd read every element memory through immer's draft, whether
 *   or not the value had a task_work field: 2 ms (ARRAY) at 1,000 entries, 330 ms at 100,000.
 * - A walk by `bpf_for_each_map_elem` whose callback deletes each element, 1,000 and 10,000 keys (`eachWalker`).
 * - An update in a world of 16 maps and in one of 4,000 (see `inWorldOf`), and of a map given by name
 *   among 16 and 1,000 loaded objects (see `byNameAmong`).
 * Writes `maps` in bench/results.json (the other entries left as they are) and so the README's table.
 */
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENOENT, program as P, Session } from '../src/index.ts';
import { recordEntry } from './record.ts';
import { alternated } from './sampling.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TYPES = ['hash', 'array', 'lru_hash'] as const;
const SMALL = 64;
const LARGE = 100_000;
const ELEMENTS = 16;
const BATCH = 100;
const SAMPLES = 31;


/** A map of `maxEntries` (in session `s`, a new one by default) holding keys 0 to `keys` − 1: its id. */
function filled(type: (typeof TYPES)[number], maxEntries: number, keys: number, s: Session, name = 'm'): number {
  const id = s.createMap({ name, type, maxEntries, valueSize: 8 });
  if (typeof id !== 'number' || id < 0) throw new Error(`BPF_MAP_CREATE of a ${type} map of ${maxEntries} entries: ${id}`);
  for (let key = 0; key < keys; key += 1) if (s.mapUpdate(id, key, new Uint8Array(8)) !== 0) throw new Error(`update of key ${key}`);
  return id;
}

/** A sample: `BATCH` calls of `command`, each from `s`'s world as it is now: µs of CPU a call. */
function sampler(s: Session, command: (i: number) => unknown): () => number {
  const w0 = s.world;
  return () => {
    const c0 = process.cpuUsage();
    for (let i = 0; i < BATCH; i += 1) {
      s.world = w0;
      command(i);
    }
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / BATCH;
  };
}

/** The commands measured on a map holding `ELEMENTS` keys; each answers 0, a batch also -ENOENT (it reached the end). */
const OPS = {
  /** `bpf(BPF_MAP_UPDATE_ELEM)` of a present key. */
  update: (s: Session, id: number, i: number, value: Uint8Array) => s.mapUpdate(id, i % ELEMENTS, value),
  /** `bpf(BPF_MAP_LOOKUP_ELEM)` of a present key. */
  lookup: (s: Session, id: number, i: number, value: Uint8Array) => s.mapLookup(id, i % ELEMENTS, value),
  /** `bpf(BPF_MAP_LOOKUP_BATCH)` of up to `SMALL` elements from the start: a hash map's every key, an ARRAY's first `SMALL` indexes. */
  lookup_batch: (s: Session, id: number) => s.mapLookupBatch(id, null, SMALL).ret,
  /** `close` of the map's last fd (`bpf_map_put_uref`); until stop 46 it read every element memory, task_work field or not. */
  close: (s: Session, id: number) => { s.mapClose(id); return 0; },
} as const;
type Op = keyof typeof OPS;

/** Command `op` on a map of `maxEntries` holding `ELEMENTS` keys, checked once (what is measured finds its keys), then sampled. */
function opSampler(type: (typeof TYPES)[number], op: Op, maxEntries: number): () => number {
  const s = new Session();
  const id = filled(type, maxEntries, ELEMENTS, s);
  const value = new Uint8Array(8);
  const run = OPS[op];
  const sample = sampler(s, (i) => run(s, id, i, value));
  const ret = run(s, id, 1, value);
  if (ret !== 0 && !(op === 'lookup_batch' && ret === -ENOENT)) throw new Error(`${op} on a ${type} map of ${maxEntries} entries: ${ret}`);
  return sample;
}

const load0 = loadavg().map((x) => Math.round(x * 100) / 100);
const rows = (Object.keys(OPS) as Op[]).flatMap((op) => TYPES.map((type) => {
  const row = { op, type, ...alternated(opSampler(type, op, SMALL), opSampler(type, op, LARGE), 5, SAMPLES) };
  console.log(`${op} ${type}: ${row.largeUs.toFixed(1)} µs at ${LARGE.toLocaleString('en')} entries, ${row.smallUs.toFixed(1)} µs at ${SMALL} (${row.ratio.toFixed(2)}×)`);
  return row;
}));

/**
 * A walk of a whole HASH map by BPF_MAP_GET_NEXT_KEY (NULL, then each key, until -ENOENT) holding
 * `keys` keys (its max_entries): µs of CPU a key. Each sample first updates a key, so that the walk
 * is of a world no walk has seen (its buckets are listed by the walk, not found listed).
 */
function walker(keys: number): () => number {
  const s = new Session();
  const id = filled('hash', keys, keys, s);
  const value = new Uint8Array(8);
  const w0 = s.world;
  return () => {
    s.world = w0;
    s.mapUpdate(id, 0, value);
    const c0 = process.cpuUsage();
    let n = 0;
    for (let key = s.mapGetNextKey(id, null); key >= 0; key = s.mapGetNextKey(id, key)) n += 1;
    const c = process.cpuUsage(c0);
    if (n !== keys) throw new Error(`a walk of ${keys} keys met ${n}`);
    return (c.user + c.system) / n;
  };
}
const WALK_SMALL = 1_000;
const WALK_LARGE = 100_000;
const walk = { smallKeys: WALK_SMALL, largeKeys: WALK_LARGE, ...alternated(walker(WALK_SMALL), walker(WALK_LARGE), 1, 5) };
console.log(`get_next_key walk: ${walk.largeUs.toFixed(2)} µs a key with ${WALK_LARGE.toLocaleString('en')} keys, ${walk.smallUs.toFixed(2)} µs with ${WALK_SMALL.toLocaleString('en')} (${walk.ratio.toFixed(2)}×)`);

/**
 * A walk by `bpf_for_each_map_elem` whose callback deletes the element it is given (a program clearing a
 * map), of a HASH map holding `keys` keys (its max_entries): µs of CPU an element, the program run by
 * BPF_PROG_TEST_RUN from the filled world each time. Until stop 46 each step of a walk over a map the
 * program had changed looked for the next element among all the map's, through immer's draft: 2.1 s
 * for 1,000 keys, 36 s for 4,000.
 */
function eachWalker(keys: number): () => number {
  const s = new Session();
  s.load({
    name: 'clear', maps: [{ name: 'm', type: 'hash', maxEntries: keys, valueSize: 8, taskWorkFields: 0 }], globals: [{ name: 'ret', kind: 'u64' }],
    subprogs: [{ name: 'cb', isStatic: true, returns: 'long', params: [{ name: 'mp', type: 'map' }, { name: 'k', type: 'ptr' }, { name: 'v', type: 'ptr' }, { name: 'ctx', type: 'ptr' }], body: [
      P.call('bpf_map_delete_elem', [P.map('m'), P.r('k')]), P.ret(P.imm(0)),
    ] }],
    programs: [{ name: 'p', section: 'syscall', body: [
      P.call('bpf_for_each_map_elem', [P.map('m'), P.cb('cb'), P.NULL, P.imm(0)], 'r'), P.store('ret', P.r('r')), P.ret(P.imm(0)),
    ] }],
  });
  for (let key = 0; key < keys; key += 1) if (s.mapUpdate('m', key, new Uint8Array(8)) !== 0) throw new Error(`update of key ${key}`);
  const w0 = s.world;
  return () => {
    s.world = w0;
    const c0 = process.cpuUsage();
    const r = s.progTestRun('p');
    const c = process.cpuUsage(c0);
    if (r.err !== 0 || s.global('ret') !== BigInt(keys) || s.mapGetNextKey('m', null) !== -ENOENT) throw new Error(`a walk of ${keys} keys: err ${r.err}, ${s.global('ret')} calls, a key left`);
    return (c.user + c.system) / keys;
  };
}
const EACH_SMALL = 1_000;
const EACH_LARGE = 10_000;
const forEach = { smallKeys: EACH_SMALL, largeKeys: EACH_LARGE, ...alternated(eachWalker(EACH_SMALL), eachWalker(EACH_LARGE), 1, 5) };
console.log(`bpf_for_each_map_elem deleting each element: ${forEach.largeUs.toFixed(1)} µs an element with ${EACH_LARGE.toLocaleString('en')} keys, ${forEach.smallUs.toFixed(1)} µs with ${EACH_SMALL.toLocaleString('en')} (${forEach.ratio.toFixed(2)}×)`);

/**
 * An update of a present key (a HASH of 64 entries holding 16 keys) in a world holding `maps` maps:
 * µs of CPU an update. Until stop 45 the world's maps were a `Map` in immer's state, copied whole by
 * any change of a map: 18 µs with 16 maps, 178 µs with 4,000.
 */
function inWorldOf(maps: number): () => number {
  const s = new Session();
  // The map updated is the middle one, holding `ELEMENTS` keys; the others are empty.
  const ids = Array.from({ length: maps }, (_, i) => filled('hash', SMALL, i === maps >> 1 ? ELEMENTS : 0, s, `m${i}`));
  const id = ids[maps >> 1] as number;
  const value = new Uint8Array(8);
  return sampler(s, (i) => s.mapUpdate(id, i % ELEMENTS, value));
}
const FEW_MAPS = 16;
const MANY_MAPS = 4_000;
const manyMaps = { smallMaps: FEW_MAPS, largeMaps: MANY_MAPS, ...alternated(inWorldOf(FEW_MAPS), inWorldOf(MANY_MAPS), 5, SAMPLES) };
console.log(`update in a world of maps: ${manyMaps.largeUs.toFixed(1)} µs with ${MANY_MAPS.toLocaleString('en')} maps, ${manyMaps.smallUs.toFixed(1)} µs with ${FEW_MAPS} (${manyMaps.ratio.toFixed(2)}×)`);

/**
 * An update of a present key of a map given by name (`mapId`: the one loaded object whose map has that
 * name), in a session of `objects` loaded objects of one map each: µs of CPU an update. Until stop 46
 * each call looked at every loaded object: 28 µs by id, 132 µs by name with 1,000 objects.
 */
function byNameAmong(objects: number): () => number {
  const s = new Session();
  for (let i = 0; i < objects; i += 1) {
    s.load({ name: `o${i}`, maps: [{ name: `m${i}`, type: 'hash', maxEntries: SMALL, valueSize: 8, taskWorkFields: 0 }], globals: [], subprogs: [], programs: [] });
  }
  const name = `m${objects >> 1}`;
  const value = new Uint8Array(8);
  for (let key = 0; key < ELEMENTS; key += 1) if (s.mapUpdate(name, key, value) !== 0) throw new Error(`update of key ${key} of ${name}`);
  return sampler(s, (i) => s.mapUpdate(name, i % ELEMENTS, value));
}
const FEW_OBJECTS = 16;
const MANY_OBJECTS = 1_000;
const byName = { smallObjects: FEW_OBJECTS, largeObjects: MANY_OBJECTS, ...alternated(byNameAmong(FEW_OBJECTS), byNameAmong(MANY_OBJECTS), 5, SAMPLES) };
console.log(`update by name: ${byName.largeUs.toFixed(1)} µs with ${MANY_OBJECTS.toLocaleString('en')} objects loaded, ${byName.smallUs.toFixed(1)} µs with ${FEW_OBJECTS} (${byName.ratio.toFixed(2)}×)`);

recordEntry(ROOT, 'maps', { small: SMALL, large: LARGE, elements: ELEMENTS, rows, walk, forEach, manyMaps, byName, goal: 2, cpu: cpus()[0]?.model ?? '?', loadavgStart: load0 });
