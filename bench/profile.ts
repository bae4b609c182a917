/**
 * A profiling target (bench/README.md): one workload of the benchmark, run many times, for
 * `node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile.ts <what> [count]`.
 * It prints the best time of one unit over 20 tries (a loaded machine slows the others).
 *
 *   size | read16 | pure-read16 | read256k | case | case-kept | tasks | sleeps | validate
 *
 * `validate`: the checks of a loaded object and of a scenario file (`verify`'s and `load`'s
 * `checkData`, `parseScenario`): a copy of the document as plain data, then its zod schema.
 */
import { readFileSync } from 'node:fs';
import { bpf_dynptr_read, BpfObjectSchema, content, NON_SLEEPABLE, type World } from '../src/index.ts';
import { validateWith } from '../src/model/kernel/validate.ts';
import { ScenarioSchema } from '../src/scenario/schema.ts';
import { caseObject, caseSession, fileSession, manyTasksWorld, randomBytes, runCase, runToEnd, sleepsWorld } from './cases.ts';

const what = process.argv[2] ?? 'read16';
const count = Number(process.argv[3] ?? 1000);

function workload(): { unit: string; per: number; run: () => void } {
  switch (what) {
    case 'size':
    case 'read16': {
      const s = fileSession(content.pattern(1), 256000);
      const w0 = s.world;
      const dst = new Uint8Array(16);
      return what === 'size'
        ? { unit: 'call', per: count, run: () => { s.world = w0; for (let i = 0; i < count; i += 1) s.bpf_dynptr_size('d'); } }
        : { unit: 'call', per: count, run: () => { s.world = w0; for (let i = 0; i < count; i += 1) s.bpf_dynptr_read(dst, 16, 'd', i * 16 % 256000, 0); } };
    }
    case 'pure-read16': {
      const w0 = fileSession(content.pattern(1), 256000).world;
      const dst = new Uint8Array(16);
      return { unit: 'call', per: count, run: () => { let w: World = w0; for (let i = 0; i < count; i += 1) w = bpf_dynptr_read(w, NON_SLEEPABLE, dst, 16, 'd', i * 16 % 256000, 0).world; } };
    }
    case 'read256k': {
      const src = randomBytes('read', 262144);
      const s = fileSession(content.bytes(src), src.length);
      const w0 = s.world;
      const dst = new Uint8Array(src.length);
      return { unit: 'read', per: count, run: () => { s.world = w0; for (let i = 0; i < count; i += 1) s.bpf_dynptr_read(dst, src.length, 'd', 0, 0); } };
    }
    case 'case':
    case 'case-kept': {
      const s = caseSession();
      const loaded = s.world;
      return { unit: 'case', per: count, run: () => { for (let i = 0; i < count; i += 1) { if (what === 'case') s.world = loaded; runCase(s); } } };
    }
    case 'tasks':
    case 'sleeps': {
      const w = what === 'tasks' ? manyTasksWorld(count) : sleepsWorld(count);
      let steps = 0;
      return { unit: 'step', get per() { return steps; }, run: () => { steps = runToEnd(w); } };
    }
    case 'validate': {
      const obj = caseObject();
      const scenario = JSON.parse(readFileSync(new URL('../examples/seed.json', import.meta.url), 'utf8')) as unknown;
      return { unit: 'pair of documents', per: count, run: () => { for (let i = 0; i < count; i += 1) { validateWith(BpfObjectSchema, obj); validateWith(ScenarioSchema, scenario); } } };
    }
    default:
      throw new Error(`unknown workload ${what}`);
  }
}

const w = workload();
let best = Infinity;
for (let i = 0; i < 20; i += 1) {
  const t0 = process.hrtime.bigint();
  w.run();
  best = Math.min(best, Number(process.hrtime.bigint() - t0));
}
console.log(`${what}: ${(best / w.per).toFixed(0)} ns a ${w.unit} (best of 20 tries of ${w.per})`);
