import { kfuncsOf, SLEEPABLE, transact } from '../src/index.ts';
import { warmWorld } from './world.ts';
const w = warmWorld();
const dst = new Uint8Array(256000);
function time(name: string, n: number, f: () => void) {
  for (let i = 0; i < 2000; i++) f();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  console.log(name, (Number(process.hrtime.bigint() - t0) / n / 1000).toFixed(2), 'us');
}
time('empty tx', 20000, () => { transact(w, SLEEPABLE, () => 0); });
time('size tx', 20000, () => { transact(w, SLEEPABLE, (k) => kfuncsOf(k).bpf_dynptr_size('d')); });
time('read8 tx', 20000, () => { transact(w, SLEEPABLE, (k) => kfuncsOf(k).bpf_dynptr_read(dst, 8, 'd', 0, 0)); });
time('read256k tx', 5000, () => { transact(w, SLEEPABLE, (k) => kfuncsOf(k).bpf_dynptr_read(dst, 256000, 'd', 0, 0)); });
const src = new Uint8Array(256000);
time('set', 20000, () => { dst.set(src); });
