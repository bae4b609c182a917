import { content, kfuncsOf, SLEEPABLE, transact } from '../src/index.ts';
import { fileWorld } from './world.ts';
import { exeBytes } from '../examples/file_reader.ts';
const src = exeBytes('bench');
const w = fileWorld(content.bytes(src), src.length);
const dst = new Uint8Array(256000);
function time(name: string, n: number, f: () => void) {
  for (let i = 0; i < 2000; i++) f();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  const us = Number(process.hrtime.bigint() - t0) / n / 1000;
  console.log(name, us.toFixed(2), 'us');
  return us;
}
for (let r = 0; r < 3; r++) {
const a = time('read256k tx', 20000, () => { transact(w, SLEEPABLE, (k) => kfuncsOf(k).bpf_dynptr_read(dst, 256000, 'd', 0, 0)); });
const b = time('set', 20000, () => { dst.set(src); });
console.log('ratio', (b / a).toFixed(2));
}
