/**
 * Trace byte-identity across a refactor of the engine (issue 17): `record DIR` runs a fixed set of
 * scenarios under several schedules and writes, for each run, its trace, its recorded choices, its
 * clock, its references, its globals and the error it threw (if any); `check DIR` runs them again and
 * reports every run whose record differs. Record on the code before a change, check after it.
 *
 *   npx tsx bench/golden.ts record /tmp/golden && (change the engine) && npx tsx bench/golden.ts check /tmp/golden
 *
 * The scenarios: the examples (examples/*.json, the seed scenario files, examples/file_reader.ts),
 * the property suite's generated task_work scenarios (properties/scenarios.ts) and generated
 * programs (properties/programs.ts) under seeded and listed schedules (the task_work ones on an smp
 * machine too), many tasks sleeping and opening, and batches of kfunc calls through a Session (errors
 * included).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  content, defaultChooser, formatTrace, listChooser, traceEvents, parseScenario, program, refSnapshot, runScenario, seededChooser, Session, verify,
  type Chooser, type Syscall,
} from '../src/index.ts';
import { fileReaderObject, directReaderObject, scenario as fileReaderScenario } from '../examples/file_reader.ts';
import { buildTaskWorkWorld, twScenario } from '../properties/scenarios.ts';
import { buildWorld, genProgram, genWorld, toObject } from '../properties/programs.ts';

const root = new URL('..', import.meta.url).pathname;

const text = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x));

function record(s: Session, threw: unknown): string {
  const globals: Record<string, unknown> = {};
  for (const o of s.world.objects.values()) for (const [name, v] of o.globals) globals[`${o.id}.${name}`] = v;
  return [
    formatTrace(s.world.trace),
    `events ${text(traceEvents(s.world.trace))}`,
    `choices ${text([...s.world.choices])}`,
    `clock ${s.world.clock.now}`,
    `refs ${text(refSnapshot(s.world))}`,
    `globals ${text(globals)}`,
    `threw ${threw === undefined ? '-' : threw instanceof Error ? `${threw.name}: ${threw.message}` : String(threw)}`,
  ].join('\n');
}

function simulate(s: Session, chooser: Chooser): string {
  let threw: unknown;
  try { s.simulate(chooser); } catch (e) { threw = e; }
  return record(s, threw);
}

function* runs(): Generator<[string, () => string]> {
  const seeds = [undefined, 1, 2, 3, 'a', 'b', 7, 11, 13, 42];
  // The example scenarios, under their own schedule and under seeds.
  const exdir = join(root, 'examples');
  for (const f of readdirSync(exdir).filter((n) => n.endsWith('.json')).sort()) {
    const sc = parseScenario(JSON.parse(readFileSync(join(exdir, f), 'utf8')), f);
    for (const seed of seeds) {
      yield [`example ${f} seed ${String(seed)}`, () => {
        const r = runScenario(sc, seed === undefined ? {} : { seed });
        return `${record(r.session, undefined)}\nchecks ${text(r.checks)}`;
      }];
    }
  }
  // The seed scenario and its siblings (examples/file_reader.ts).
  for (const cache of ['warm', 'cold'] as const) {
    for (const [name, obj] of [['seed', fileReaderObject()], ['direct', directReaderObject('lsm/file_open')], ['direct_s', directReaderObject('lsm.s/file_open')], ['seed7.2', fileReaderObject('7.2')]] as const) {
      for (const seed of seeds) {
        yield [`file_reader ${name} ${cache} seed ${String(seed)}`, () => simulate(fileReaderScenario({ object: obj, cache, ...(name === 'seed7.2' ? { version: '7.2' as const } : {}) }), seed === undefined ? defaultChooser : seededChooser(seed))];
      }
    }
  }
  // Generated task_work scenarios (the property suite's), seeded and listed schedules.
  const tws = fc.sample(fc.tuple(twScenario, fc.array(fc.nat({ max: 7 }), { maxLength: 80 })), { numRuns: 300, seed: 17 });
  tws.forEach(([sc, choices], i) => {
    runsOf.push([`tw ${i} list`, () => simulate(buildTaskWorkWorld(sc), listChooser(choices))]);
    runsOf.push([`tw ${i} seed`, () => simulate(buildTaskWorkWorld(sc), seededChooser(i))]);
    runsOf.push([`tw ${i} default`, () => simulate(buildTaskWorkWorld(sc), defaultChooser)]);
    // On an smp machine: the irq_work's and the tasks' stops are ready actions too.
    runsOf.push([`tw ${i} smp list`, () => simulate(buildTaskWorkWorld(sc, { smp: true }), listChooser(choices))]);
    runsOf.push([`tw ${i} smp seed`, () => simulate(buildTaskWorkWorld(sc, { smp: true }), seededChooser(i))]);
  });
  yield* runsOf.splice(0);
  // Generated programs (verified or not), run to the end.
  const progs = fc.sample(fc.tuple(genProgram(['none', 'drop_discard', 'drop_put', 'drop_null_check', 'use_clone_after_discard', 'put_before_discard']), genWorld), { numRuns: 300, seed: 23 });
  progs.forEach(([g, w], i) => {
    runsOf.push([`prog ${i}`, () => {
      const obj = toObject(g);
      const ok = verify(obj)[0]?.ok === true;
      let s: Session;
      try { s = buildWorld(w, obj, !ok); } catch (e) { return `build threw ${String(e)}`; }
      return simulate(s, seededChooser(i));
    }]);
  });
  yield* runsOf.splice(0);
  // Many tasks sleeping, opening and reading, under seeds, on one CPU and on an smp machine.
  for (const [n, smp] of [[1, false], [5, false], [30, false], [5, true], [30, true]] as const) {
    for (const seed of [undefined, 1, 2, 3]) {
      yield [`tasks ${n}${smp ? ' smp' : ''} seed ${String(seed)}`, () => {
        const s = new Session({ smp });
        s.createFile({ path: '/bin/app', content: content.pattern(5), size: 5 * 4096 });
        s.createFile({ path: '/tmp/trigger', content: content.zero(), size: 16 });
        s.load(fileReaderObject('6.19', 8192));
        for (let i = 0; i < n; i += 1) {
          const script: Syscall[] = [
            { sys: 'sleep', ticks: (i * 7) % 13 },
            { sys: 'open', path: '/bin/app', fd: 'e' },
            { sys: 'read', fd: 'e', offset: (i % 5) * 4096, len: 4096 + i },
            { sys: 'sleep', ticks: (i * 3) % 5 },
            { sys: 'close', fd: 'e' },
            { sys: 'set_global', global: 'user_pid', value: 'pid' },
            { sys: 'open', path: '/tmp/trigger', fd: 't' },
            { sys: 'close', fd: 't' },
            { sys: 'sleep', ticks: i % 3 },
          ];
          s.spawn({ comm: `t${i}`, exe: '/bin/app', script });
        }
        return simulate(s, seed === undefined ? defaultChooser : seededChooser(seed));
      }];
    }
  }
  // kfunc calls through a Session, errors included.
  for (const sleepable of [false, true]) {
    yield [`session kfuncs sleepable=${sleepable}`, () => {
      const s = new Session({ sleepable });
      s.createFile({ path: '/f', content: content.pattern(3), size: 3 * 4096 + 100 });
      s.populate('/f', 0, 4096);
      const f = s.open('/f');
      const dst = new Uint8Array(5000);
      const out: string[] = [];
      const tryIt = (fn: () => unknown): void => {
        try { out.push(text(fn())); } catch (e) { out.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e)); }
      };
      tryIt(() => s.bpf_dynptr_from_file(f, 0, 'd'));
      for (const [len, off] of [[8, 0], [16, 4090], [5000, 0], [1, 3 * 4096 + 99], [0, 3 * 4096 + 100], [16, 2 ** 40]] as const) {
        tryIt(() => s.bpf_dynptr_read(dst, len, 'd', off, 0));
        tryIt(() => s.bpf_dynptr_size('d'));
      }
      tryIt(() => s.bpf_dynptr_adjust('d', 10, 5000));
      tryIt(() => s.bpf_dynptr_clone('d', 'c'));
      tryIt(() => s.bpf_dynptr_read(dst, 16, 'c', 0, 0));
      tryIt(() => s.bpf_dynptr_file_discard('c'));
      tryIt(() => s.bpf_dynptr_read(dst, 16, 'd', 0, 0));
      tryIt(() => s.bpf_dynptr_size('nope'));
      tryIt(() => s.bpf_dynptr_read(dst, -1, 'd', 0, 0));
      tryIt(() => s.bpf_dynptr_from_mem(new Uint8Array(64), 64, 0, 'l'));
      tryIt(() => s.bpf_dynptr_read(dst, 16, 'l', 8, 0));
      tryIt(() => s.bpf_dynptr_is_null('l'));
      return `${record(s, undefined)}\nresults ${out.join('\n')}`;
    }];
  }
  // Ring buffers and user memory (issue 14), when the Session has them: records reserved, written,
  // submitted and discarded, a reader task consuming them into a global, user memory written and
  // read back by a sleepable program.
  const hasRings = typeof (Session.prototype as unknown as Record<string, unknown>).ringbufConsume === 'function';
  for (const seed of hasRings ? [undefined, 1, 2, 3] : []) {
    yield [`ringbuf seed ${String(seed)}`, () => {
      const P = program;
      const s = new Session();
      s.load({
        name: 'rb', maps: [{ name: 'rb', type: 'ringbuf', maxEntries: 4096, valueSize: 0, taskWorkFields: 0 } as never],
        globals: [{ name: 'out', kind: 'bytes', size: 12 }, { name: 'str', kind: 'bytes', size: 8 }],
        programs: [{ name: 'p', section: 'syscall', body: [
          P.call('bpf_copy_from_user_str', [P.buf('str'), P.imm(8), P.imm(0x1000), P.imm(0)], 'r0'),
          P.ret(P.imm(0)),
        ] }], subprogs: [],
      });
      const map = [...s.world.maps.keys()][0] as number;
      const any = s as unknown as Record<string, (...a: unknown[]) => unknown>;
      for (const [slot, v, n] of [['a', 1, 4], ['b', 2, 3], ['c', 3, 5]] as const) {
        any.bpf_ringbuf_reserve_dynptr?.(map, n, 0, slot);
        any.bpf_dynptr_memset?.(slot, 0, n, v);
      }
      any.bpf_ringbuf_submit_dynptr?.('a', 0);
      any.bpf_ringbuf_discard_dynptr?.('c', 0);
      const r1 = s.spawn({ comm: 'reader', script: [{ sys: 'ringbuf_consume', map: 'rb', into: 'out' } as never, { sys: 'sleep', ticks: 2 }, { sys: 'ringbuf_consume', map: 'rb', into: 'out' } as never] });
      s.spawn({ comm: 'writer', script: [{ sys: 'user_write', addr: 0x1000, text: 'hello' }, { sys: 'prog_test_run', prog: 'p' }, { sys: 'sleep', ticks: 1 }] });
      s.step(seed === undefined ? undefined : seededChooser(seed));
      any.bpf_ringbuf_submit_dynptr?.('b', 0);
      let threw: unknown;
      try { s.simulate(seed === undefined ? defaultChooser : seededChooser(seed)); } catch (e) { threw = e; }
      return `${record(s, threw)}\nresults ${text([...(s.world.tasks.get(r1)?.results ?? [])])}`;
    }];
  }
}
const runsOf: [string, () => string][] = [];

const [mode, dir] = [process.argv[2], process.argv[3]];
if ((mode !== 'record' && mode !== 'check') || dir === undefined) {
  console.error('usage: tsx bench/golden.ts record|check DIR');
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
let n = 0;
let bad = 0;
for (const [name, fn] of runs()) {
  const file = join(dir, `${name.replace(/[^A-Za-z0-9._-]+/g, '_')}.txt`);
  const got = fn();
  n += 1;
  if (mode === 'record') writeFileSync(file, got);
  else {
    let want: string;
    try { want = readFileSync(file, 'utf8'); } catch { want = '(missing)'; }
    if (want !== got) {
      bad += 1;
      if (bad <= 5) console.log(`DIFFERS: ${name} (${file})`);
      writeFileSync(`${file}.new`, got);
    }
  }
}
console.log(`${mode}: ${n} runs${mode === 'check' ? `, ${bad} differ` : ''}`);
process.exit(bad > 0 ? 1 : 0);
