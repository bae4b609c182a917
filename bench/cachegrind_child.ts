/**
 * The process bench/cachegrind.ts runs under valgrind: a scheduler workload of one size, `warm` steps
 * (about) of warm-up, then `measured` steps (about), whole runs each; it prints the measured steps.
 * `read16`: 16-byte cached reads through the Session as `bench.ts` makes them (batches of 1,000 from
 * the same world, along a cached file), `warm` reads, then `measured`; it prints the measured reads.
 * `case`: the kernel case shape (`runCase`), each case from the loaded world, as `bench.ts` measures it.
 */
import { content } from '../src/index.ts';
import { caseSession, fileSession, manyTasksWorld, runCase, runToEnd, sleepsWorld } from './cases.ts';

const [what, size, warm, measured] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];
if (what === 'read16') {
  const s = fileSession(content.pattern(1), 256_000);
  const w0 = s.world;
  const dst = new Uint8Array(16);
  const batch = (): number => {
    s.world = w0;
    for (let i = 0; i < 1000; i += 1) s.bpf_dynptr_read(dst, 16, 'd', i * 16, 0);
    return 1000;
  };
  for (let n = 0; n < warm;) n += batch();
  let reads = 0;
  while (reads < measured) reads += batch();
  console.log(`steps ${reads}`);
} else if (what === 'case') {
  const s = caseSession();
  const loaded = s.world;
  const one = (): void => {
    s.world = loaded;
    runCase(s);
  };
  for (let n = 0; n < warm; n += 1) one();
  for (let n = 0; n < measured; n += 1) one();
  console.log(`steps ${measured}`);
} else {
  const world = what === 'sleeps' ? sleepsWorld(size) : manyTasksWorld(size);
  const perRun = runToEnd(world);
  for (let n = perRun; n < warm; n += perRun) runToEnd(world);
  let steps = 0;
  while (steps < measured) steps += runToEnd(world);
  console.log(`steps ${steps}`);
}
