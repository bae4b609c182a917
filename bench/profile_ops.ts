/**
 * Per-kfunc cost, to find where the time goes (see bench/README.md): batches of 3,000 calls of one
 * kfunc in one transition, as a program run makes them (a batch of 100,000 would mostly measure the
 * garbage collector moving the batch's retained trace events).
 */
import { kfuncsOf, SLEEPABLE, transact } from '../src/index.ts';
import { warmWorld } from './world.ts';

const w = warmWorld();
const dst = new Uint8Array(8);
const N = 3000;
const ROUNDS = Number(process.argv[2] ?? 300);
const cases: [string, (kf: ReturnType<typeof kfuncsOf>, i: number) => unknown][] = [
  ['is_null', (kf) => kf.bpf_dynptr_is_null('d')],
  ['size', (kf) => kf.bpf_dynptr_size('d')],
  ['adjust', (kf) => kf.bpf_dynptr_adjust('d', 0, 1_000_000)],
  ['read 8', (kf, i) => kf.bpf_dynptr_read(dst, 8, 'd', 8 * (i % 400), 0)],
];
for (const [name, f] of cases) {
  const batch = (): unknown => transact(w, SLEEPABLE, (k) => {
    const kf = kfuncsOf(k);
    for (let i = 0; i < N; i += 1) f(kf, i);
  });
  for (let i = 0; i < ROUNDS / 3; i += 1) batch();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ROUNDS; i += 1) batch();
  const ns = Number(process.hrtime.bigint() - t0);
  console.log(`${name.padEnd(8)} ${(ns / N / ROUNDS).toFixed(0)} ns/call`);
}
