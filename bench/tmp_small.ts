import { kfuncsOf, SLEEPABLE, transact } from '../src/index.ts';
import { warmWorld } from './world.ts';
const w = warmWorld();
const dst = new Uint8Array(8);
const N = 3000;
const f = () => transact(w, SLEEPABLE, (k) => {
  const kf = kfuncsOf(k);
  for (let i = 0; i < N; i += 1) {
    kf.bpf_dynptr_read(dst, 8, 'd', 8 * (i % 400), 0);
    kf.bpf_dynptr_adjust('d', 0, 1_000_000);
    kf.bpf_dynptr_size('d');
  }
});
for (let i = 0; i < 50; i++) f();
const R = Number(process.argv[2] ?? 300);
const t0 = process.hrtime.bigint();
for (let i = 0; i < R; i++) f();
const s = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`${(R * 3 * N / s / 1e6).toFixed(3)} M calls/s`);
