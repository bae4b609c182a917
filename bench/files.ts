/**
 * `npm run bench:files` (and the end of `npm run bench`): creating a file against the number of files
 * the world holds (issue 17: every call costs the same however large the world grows). `createFile`
 * through the Session, each from the same world, in a world of 100 files and in one of 30,000: CPU time
 * (process.cpuUsage), samples of 100 calls, the two sizes alternated, the median of 15 samples each.
 * Goal ≤ 2×.
 * - Until stop 46 the world's paths were a `Map` copied whole by each transition that added one: 59 µs
 *   with 100 files, 3.4 ms with 10,000 and 8.8 ms with 30,000 (creating 30,000 files took minutes).
 *   They are a B+ tree now (src/pagecache/btree.ts), cloned and changed along one path.
 * Writes `files` in bench/results.json (the other entries left as they are) and so the README's table.
 */
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { content, Session } from '../src/index.ts';
import { recordEntry } from './record.ts';
import { alternated } from './sampling.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FEW = 100;
const MANY = 30_000;
const CALLS = 100;
const SAMPLES = 15;

/** A sample of `CALLS` file creations, each from a world of `files` files: µs of CPU a call. */
function creator(files: number): () => number {
  const s = new Session();
  for (let i = 0; i < files; i += 1) s.createFile({ path: `/f${i}`, content: content.pattern(1), size: 4096 });
  const w0 = s.world;
  let n = 0;
  return () => {
    const c0 = process.cpuUsage();
    for (let i = 0; i < CALLS; i += 1) {
      s.world = w0;
      s.createFile({ path: `/new${n}`, content: content.pattern(2), size: 4096 });
      n += 1;
    }
    const c = process.cpuUsage(c0);
    if (s.world.paths.size !== files + 1) throw new Error(`a world of ${files} files holds ${s.world.paths.size} paths after a create`);
    return (c.user + c.system) / CALLS;
  };
}

const load0 = loadavg().map((x) => Math.round(x * 100) / 100);
const create = { smallFiles: FEW, largeFiles: MANY, ...alternated(creator(FEW), creator(MANY), 3, SAMPLES) };
console.log(`createFile: ${create.largeUs.toFixed(1)} µs in a world of ${MANY.toLocaleString('en')} files, ${create.smallUs.toFixed(1)} µs with ${FEW} (${create.ratio.toFixed(2)}×)`);
recordEntry(ROOT, 'files', { create, goal: 2, cpu: cpus()[0]?.model ?? '?', loadavgStart: load0 });
