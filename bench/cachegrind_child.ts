/**
 * The process bench/cachegrind.ts runs under valgrind: a scheduler workload of one size, `warm` steps
 * (about) of warm-up, then `measured` steps (about), whole runs each; it prints the measured steps.
 */
import { manyTasksWorld, runToEnd, sleepsWorld } from './cases.ts';

const [what, size, warm, measured] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];
const world = what === 'sleeps' ? sleepsWorld(size) : manyTasksWorld(size);
const perRun = runToEnd(world);
for (let n = perRun; n < warm; n += perRun) runToEnd(world);
let steps = 0;
while (steps < measured) steps += runToEnd(world);
console.log(`steps ${steps}`);
