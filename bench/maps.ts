/**
 * `npm run bench:maps` (and the end of `npm run bench`): a map syscall's cost against the map's size
 * (issue 17: every call costs the same however large the world grows). For HASH, ARRAY and LRU_HASH:
 * an update of a present key (`Session.mapUpdate`, one transition each) on a map of 16 elements whose
 * `max_entries` is 64, and on one whose `max_entries` is 100,000; CPU time (process.cpuUsage), batches
 * of 100 updates from the same starting world, the two sizes alternated, the median of 31 batches each.
 * Until stop 42 a map's element memory, elements and LRU lists were whole `Map`s and arrays in immer's
 * state, copied by the first look from a transition: 36 ms an update (HASH), 102 ms (ARRAY), 14 ms
 * (LRU_HASH) at 100,000 entries, against 0.1–0.2 ms at 64 (src/model/maps/slots.ts). Goal ≤ 2×.
 * Writes `maps` in bench/results.json (the other entries left as they are) and so the README's table.
 */
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session } from '../src/index.ts';
import { recordEntry } from './record.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TYPES = ['hash', 'array', 'lru_hash'] as const;
const SMALL = 64;
const LARGE = 100_000;
const ELEMENTS = 16;
const BATCH = 100;
const SAMPLES = 31;

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;

/** A batch of `BATCH` updates of present keys on a map of `maxEntries` holding `ELEMENTS` keys: µs of CPU an update. */
function updates(type: (typeof TYPES)[number], maxEntries: number): () => number {
  const s = new Session();
  const id = s.createMap({ name: 'm', type, maxEntries, valueSize: 8 });
  if (typeof id !== 'number' || id < 0) throw new Error(`BPF_MAP_CREATE of a ${type} map of ${maxEntries} entries: ${id}`);
  const value = new Uint8Array(8);
  for (let key = 0; key < ELEMENTS; key += 1) if (s.mapUpdate(id, key, value) !== 0) throw new Error(`update of key ${key}`);
  const w0 = s.world;
  return () => {
    s.world = w0;
    const c0 = process.cpuUsage();
    for (let i = 0; i < BATCH; i += 1) s.mapUpdate(id, i % ELEMENTS, value);
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / BATCH;
  };
}

const load0 = loadavg().map((x) => Math.round(x * 100) / 100);
const rows = TYPES.map((type) => {
  const small = updates(type, SMALL);
  const large = updates(type, LARGE);
  for (let i = 0; i < 5; i += 1) { small(); large(); }
  const s: number[] = [];
  const l: number[] = [];
  for (let i = 0; i < SAMPLES; i += 1) { s.push(small()); l.push(large()); }
  const row = { type, smallUs: median(s), largeUs: median(l), ratio: median(l) / median(s) };
  console.log(`${type}: ${row.largeUs.toFixed(1)} µs an update at ${LARGE.toLocaleString('en')} entries, ${row.smallUs.toFixed(1)} µs at ${SMALL} (${row.ratio.toFixed(2)}×)`);
  return row;
});
recordEntry(ROOT, 'maps', { small: SMALL, large: LARGE, elements: ELEMENTS, rows, goal: 2, cpu: cpus()[0]?.model ?? '?', loadavgStart: load0 });
