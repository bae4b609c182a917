/** A profiling target: many small kfunc calls in one transition (node --cpu-prof, see bench/README.md). */
import { kfuncsOf, SLEEPABLE, transact } from '../src/index.ts';
import { warmWorld } from './world.ts';

const w = warmWorld();

const dst = new Uint8Array(8);
const N = Number(process.argv[2] ?? 20000);
const t0 = process.hrtime.bigint();
transact(w, SLEEPABLE, (k) => {
  const kf = kfuncsOf(k);
  for (let i = 0; i < N; i += 1) {
    kf.bpf_dynptr_read(dst, 8, 'd', 8 * (i % 400), 0);
    kf.bpf_dynptr_adjust('d', 0, 1_000_000);
    kf.bpf_dynptr_size('d');
  }
});
const ns = Number(process.hrtime.bigint() - t0);
console.log(`${N * 3} calls in ${(ns / 1e6).toFixed(1)} ms: ${((N * 3) / (ns / 1e9) / 1e6).toFixed(3)} M calls/s`);
