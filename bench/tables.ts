/**
 * `npm run bench:tables` (and the end of `npm run bench`): calls and steps against the size of the
 * world's tables: its dynptr slots, reads in flight and tasks (issue 17: every call and every step
 * costs the same however large the world grows). CPU time (process.cpuUsage), the two sizes
 * alternated, the median of 31 samples each. Goal ≤ 2×.
 * - `dynptr`: a FILE dynptr made and discarded through the Session (`bpf_dynptr_from_file`,
 *   `bpf_dynptr_file_discard`), each pair from the same world, in a world holding 16 and 10,000 dynptr
 *   slots: µs a call.
 * - `program`: the kernel case shape (a task opens a file, an `lsm/file_open` program makes a FILE
 *   dynptr of it, reads 16 bytes and discards it, the task closes the file and exits) in those two
 *   worlds: µs a case.
 * - `io`: a scheduler step (`Session.step`) with 100 and with 10,000 page reads in flight, each of a
 *   task of its own; 50 steps a sample after one untimed step from the same world (until stop 49 a
 *   step from an earlier world built its run queue anew: bench/README.md, "Tables, stop 47").
 * - `wait`: a task forks a child that exits at once, then waits twice (the child's pid, then -ECHILD),
 *   among 16 and 10,000 tasks that exited before; the run to the end after the task's first step
 *   (that step, untimed, builds the run queue of the world the sample starts from): µs a run.
 * - `mapName`: a task whose one syscall is a `map_update` of a map it names, the newest of 16 and of
 *   4,000 maps: µs a run (spawn to exit).
 * - `objects`: a task that writes a global and test-runs a program, each given by name, of the newest
 *   of 16 and of 1,000 loaded objects: µs a run.
 * - `taskStorage`: a task opens a file and an `lsm/file_open` program makes the task's first element
 *   of a task storage map, in a world of 16 and of 4,000 other maps: µs a case.
 * - `fds`: a scheduler step (`Session.step`, a sleep) of a task with 16 and with 9,000 open files: µs.
 * - `branch`: a scheduler step (`Session.step()`) from a world that is not the newest of its history
 *   (two worlds of one history, at the same clock, stepped in turn), among 16 and 10,000 tasks: µs.
 *   Until stop 49 such a step built the run queue anew from every task and read (this script on stop
 *   48's code: 6.6 µs among 16 tasks, 771 µs among 10,000); it now moves the history's run queue to
 *   the world (src/model/world/rebase.ts).
 * - `works`: a scheduler step (`Session.step`, a sleep) of a task with 16 and with 9,000 task_works
 *   queued (`task_work_add` with `TWA_NONE`: nothing runs them before the task exits): µs. Until stop
 *   50 a transition's copy of the task copied the list (and an add moved every work queued): this
 *   sampler on stop 49's code measured 4.1–4.7 µs against 12.5–19.1 µs (2.65–4.60×, three runs on
 *   an Intel Xeon, bench/README.md "Tasks, stop 50"); the list is persistent now
 *   (src/model/task/work_list.ts), as the kernel's singly linked one.
 * - `folios`: a 16-byte read through a FILE dynptr that moves the folio its reader holds to another
 *   (the reader drops one folio and takes the next: `freader_put_folio`, `freader_get_folio`), each
 *   read from the same world, where 16 and 10,000 other FILE dynptrs of the file each hold a folio of
 *   it: µs a call. Until stop 62 a `Mapping` copied its map of reader references (a `Map` of every
 *   held folio) at its first change in a transition: this sampler's code on stop 61's (measured from
 *   a script of the same calls, built package) took 7–10 µs with 16 holders, 36–40 µs with 1,000 and
 *   3.0 ms with 10,000; the map is persistent now (src/pagecache/sparse.ts).
 * Until stop 48 a name was found by a walk of every map or every loaded object, and a task's first
 * task storage element walked every map, drafting each (this script on stop 47's code: 39.8 against
 * 269 µs, 18.4 against 222 µs, 72 µs against 4.0 ms); the world now keeps an index of names
 * (src/model/world/names.ts). And a task's descriptors were a `Map`, copied by each transition that
 * changed the task: 7.5 µs a step with 16 open files, 2.9 ms with 9,000 (and opening the 9,000 one step
 * at a time took 18 s); they are an `OrderedTree` now, which the copy clones in O(1).
 * Until stop 47 the first two tables were `Map`s copied whole by each transition that changed them, a
 * program's end looked for its frame's slots among all of them, and a `wait` looked for the children
 * of its task among all tasks. This script on stop 46's code: 3.4 ms a dynptr call with 10,000 slots
 * (2.6 µs with 16), 3.8 ms a case (36 µs), 3.8 ms a step with 10,000 reads in flight (11.6 µs with
 * 100), 1.8 ms the fork and waits among 10,000 tasks (15.8 µs among 16). The tables are persistent
 * trees now (src/model/world/ordered.ts), and the run queue files each task's children
 * (src/model/task/runqueue.ts).
 * Writes `tables` in bench/results.json (the other entries left as they are) and so the README's table.
 */
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { content, ECHILD, program as P, seededChooser, Session, type ReadonlyTask, type Syscall } from '../src/index.ts';
import { CASE_SCRIPT, caseObject } from './cases.ts';
import { recordEntry } from './record.ts';
import { alternated } from './sampling.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FEW_SLOTS = 16;
const MANY_SLOTS = 10_000;
const FEW_READS = 100;
const MANY_READS = 10_000;
const FEW_TASKS = 16;
const MANY_TASKS = 10_000;
const FEW_MAPS = 16;
const MANY_MAPS = 4_000;
const FEW_OBJECTS = 16;
const MANY_OBJECTS = 1_000;
const FEW_FDS = 16;
const MANY_FDS = 9_000;
const FEW_WORKS = 16;
const MANY_WORKS = 9_000;
const SAMPLES = 31;

/** A session with the case object loaded and `slots` FILE dynptrs of the trigger file, and that file's fd. */
function withSlots(slots: number): { s: Session; fd: number } {
  const s = new Session();
  s.createFile({ path: '/bin/driver', content: content.pattern(2), size: 8192 });
  s.createFile({ path: '/tmp/trigger', content: content.pattern(3), size: 4096 });
  s.populate('/tmp/trigger');
  s.load(caseObject());
  const fd = s.open('/tmp/trigger');
  for (let i = 0; i < slots; i += 1) if (s.bpf_dynptr_from_file(fd, 0, `d${i}`) !== 0) throw new Error(`dynptr d${i}`);
  return { s, fd };
}

/** CPU µs of `fn` run `n` times, a call. */
function perCall(n: number, fn: () => void): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i += 1) fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}

function dynptrSampler(slots: number): () => number {
  const { s, fd } = withSlots(slots);
  const w0 = s.world;
  return () => perCall(100, () => {
    s.world = w0;
    if (s.bpf_dynptr_from_file(fd, 0, 'x') !== 0 || s.bpf_dynptr_file_discard('x') !== 0) throw new Error('from_file or discard failed');
  }) / 2;
}

function programSampler(slots: number): () => number {
  const { s } = withSlots(slots);
  const w0 = s.world;
  return () => perCall(100, () => {
    s.world = w0;
    s.spawn({ comm: 'driver', exe: '/bin/driver', script: CASE_SCRIPT });
    s.simulate();
    if (s.world.dynptrs.size !== slots) throw new Error(`${s.world.dynptrs.size} dynptrs after a case in a world of ${slots}`);
  });
}

function ioSampler(reads: number): () => number {
  const s = new Session({ sleepable: true });
  for (let i = 0; i < reads; i += 1) {
    s.createFile({ path: `/f${i}`, content: content.pattern(i), size: 4096 });
    s.spawn({ comm: `t${i}`, script: [{ sys: 'open', path: `/f${i}`, fd: 'f' }, { sys: 'read', fd: 'f', offset: 0, len: 16 }] });
  }
  while (s.world.io.size < reads) s.step();
  const w1 = s.world;
  return () => {
    s.world = w1;
    s.step();
    const us = perCall(50, () => { s.step(); });
    if (s.world.io.size > reads - 10) throw new Error(`only ${reads - s.world.io.size} of ${reads} reads completed in 51 steps`);
    return us;
  };
}

function waitSampler(exited: number): () => number {
  const s = new Session();
  for (let i = 0; i < exited; i += 1) s.spawn({ comm: `z${i}`, script: [] });
  s.simulate();
  const w0 = s.world;
  return () => {
    let us = 0;
    for (let i = 0; i < 20; i += 1) {
      s.world = w0;
      const pid = s.spawn({ comm: 'parent', script: [{ sys: 'fork', script: [] }, { sys: 'wait' }, { sys: 'wait' }] });
      s.step();
      us += perCall(1, () => { s.simulate(); });
      const results = s.world.tasks.get(pid)?.results ?? [];
      if (results.length !== 3 || results[1] !== results[0] || results[2] !== BigInt(-ECHILD)) throw new Error(`fork and waits: ${results.join(', ')}`);
    }
    return us / 20;
  };
}

/** A session with `maps` HASH maps, named m0, m1, …, made by BPF_MAP_CREATE. */
/**
 * A step from a world that is not the newest of its history: two worlds of one history (the second
 * made by a step of the first, at the same clock), each stepped in turn by `Session.step()` (the
 * default chooser: the task that ran last runs on), among `tasks` tasks that sleep, open, read and
 * close a file (forty times each), after a seeded step of each task.
 */
function branchSampler(tasks: number): () => number {
  const s = new Session();
  s.createFile({ path: '/f', content: content.pattern(4), size: 4096 });
  s.populate('/f');
  const round: Syscall[] = [{ sys: 'sleep', ticks: 1 }, { sys: 'open', path: '/f', fd: 'f' }, { sys: 'read', fd: 'f', offset: 0, len: 16 }, { sys: 'close', fd: 'f' }];
  const script = Array.from({ length: 40 }, () => round).flat();
  for (let i = 0; i < tasks; i += 1) s.spawn({ comm: `t${i}`, script });
  const chooser = seededChooser('branch');
  for (let i = 0; i < tasks; i += 1) s.step(chooser);
  const a = s.world;
  s.step();
  const b = s.world;
  if (b.clock.now !== a.clock.now || b === a) throw new Error('the second world is to be a step of the first at the same clock');
  return () => perCall(50, () => {
    s.world = a;
    s.step();
    s.world = b;
    s.step();
  }) / 2;
}

/** A session with `maps` HASH maps, named m0, m1, …, made by BPF_MAP_CREATE. */
function withMaps(maps: number): Session {
  const s = new Session();
  for (let i = 0; i < maps; i += 1) if (s.createMap({ type: 'hash', maxEntries: 4, valueSize: 8, name: `m${i}` }) !== i + 1) throw new Error(`map m${i}`);
  return s;
}

function mapNameSampler(maps: number): () => number {
  const s = withMaps(maps);
  const w0 = s.world;
  const name = `m${maps - 1}`;
  return () => perCall(100, () => {
    s.world = w0;
    const pid = s.spawn({ comm: 'upd', script: [{ sys: 'map_update', map: name, key: 1 }] });
    s.simulate();
    if (s.world.tasks.get(pid)?.results[0] !== 0n) throw new Error(`map_update of ${name}`);
  });
}

function objectsSampler(objects: number): () => number {
  const s = new Session();
  for (let i = 0; i < objects; i += 1) {
    s.load({ name: `o${i}`, maps: [], subprogs: [], globals: [{ name: `g${i}`, kind: 'u64' }], programs: [{ name: `p${i}`, section: 'syscall', body: [P.ret(P.imm(i))] }] });
  }
  const w0 = s.world;
  const last = objects - 1;
  return () => perCall(100, () => {
    s.world = w0;
    const pid = s.spawn({ comm: 'run', script: [{ sys: 'set_global', global: `g${last}`, value: 7n }, { sys: 'prog_test_run', prog: `p${last}` }] });
    s.simulate();
    if (s.world.tasks.get(pid)?.results[1] !== BigInt(last)) throw new Error(`prog_test_run of p${last}`);
  });
}

function taskStorageSampler(maps: number): () => number {
  const s = withMaps(maps);
  s.createFile({ path: '/data', content: content.pattern(1), size: 4096 });
  s.populate('/data');
  s.load({
    name: 'opens', subprogs: [], globals: [],
    maps: [{ name: 'count', type: 'task_storage', maxEntries: 0, valueSize: 8, flags: 1, taskWorkFields: 0 }],
    programs: [{ name: 'on_open', section: 'lsm/file_open', body: [
      P.call('bpf_get_current_task_btf', [], 't'),
      P.call('bpf_task_storage_get', [P.map('count'), P.r('t'), P.NULL, P.imm(1)], 'p'),
      P.ret(P.imm(0)),
    ] }],
  });
  const w0 = s.world;
  const count = s.mapId('count');
  return () => perCall(100, () => {
    s.world = w0;
    const pid = s.spawn({ comm: 'x', script: [{ sys: 'open', path: '/data', fd: 'f' }, { sys: 'close', fd: 'f' }] });
    s.simulate();
    if (s.world.maps.get(count)?.elems.has(pid) !== true) throw new Error(`no element of task ${pid}`);
  });
}

/**
 * A scheduler step (a sleep) of a task that first ran `first`, one syscall each of the `n` things
 * `count` counts (open files, queued works), timed from the world where it holds all `n`: µs.
 */
function holdingSampler(s: Session, first: Syscall[], count: (t: ReadonlyTask | undefined) => number | undefined, what: string): () => number {
  const n = first.length;
  const pid = s.spawn({ comm: 'x', script: [...first, ...Array.from({ length: 900 }, (): Syscall => ({ sys: 'sleep', ticks: 1 }))] });
  while (count(s.world.tasks.get(pid)) !== n) s.step();
  const w0 = s.world;
  return () => {
    s.world = w0;
    const us = perCall(50, () => { s.step(); });
    if (count(s.world.tasks.get(pid)) !== n) throw new Error(`a task of ${n} ${what}`);
    return us;
  };
}

function fdsSampler(fds: number): () => number {
  const s = new Session();
  s.createFile({ path: '/f', content: content.pattern(1), size: 4096 });
  const opens: Syscall[] = Array.from({ length: fds }, (_, i) => ({ sys: 'open', path: '/f', fd: `f${i}` }));
  return holdingSampler(s, opens, (t) => t?.fds.size, 'open files');
}

function worksSampler(works: number): () => number {
  const adds: Syscall[] = Array.from({ length: works }, (_, i) => ({ sys: 'task_work_add', label: `w${i}`, mode: 'TWA_NONE' }));
  return holdingSampler(new Session(), adds, (t) => t?.works.queue.length, 'queued works');
}

function foliosSampler(holders: number): () => number {
  const s = new Session();
  s.createFile({ path: '/f', content: content.pattern(5), size: (holders + 2) * 4096 });
  s.populate('/f');
  const fd = s.open('/f');
  const buf = new Uint8Array(16);
  // Each holder reads its own page, so each holds its own folio (populate caches pages as folios of one page).
  for (let i = 0; i < holders; i += 1) {
    if (s.bpf_dynptr_from_file(fd, 0, `d${i}`) !== 0 || s.bpf_dynptr_read(buf, 16, `d${i}`, i * 4096, 0) !== 0) throw new Error(`holder d${i}`);
  }
  if (s.bpf_dynptr_from_file(fd, 0, 'x') !== 0 || s.bpf_dynptr_read(buf, 16, 'x', 0, 0) !== 0) throw new Error('the moving reader');
  const w0 = s.world;
  const held = s.pageStates('/f').filter((p) => p.refs > 0).length;
  if (held < holders) throw new Error(`folios held: ${held}, expected at least ${holders}`);
  // From page 0, which it holds, to the last page: a folio put and a folio got.
  return () => perCall(100, () => {
    s.world = w0;
    if (s.bpf_dynptr_read(buf, 16, 'x', (holders + 1) * 4096, 0) !== 0) throw new Error('read failed');
  });
}

const load0 = loadavg().map((x) => Math.round(x * 100) / 100);
const dynptr = { small: FEW_SLOTS, large: MANY_SLOTS, ...alternated(dynptrSampler(FEW_SLOTS), dynptrSampler(MANY_SLOTS), 3, SAMPLES) };
console.log(`dynptr made and discarded: ${dynptr.largeUs.toFixed(1)} µs a call with ${MANY_SLOTS.toLocaleString('en')} slots, ${dynptr.smallUs.toFixed(1)} µs with ${FEW_SLOTS} (${dynptr.ratio.toFixed(2)}×)`);
const program = { small: FEW_SLOTS, large: MANY_SLOTS, ...alternated(programSampler(FEW_SLOTS), programSampler(MANY_SLOTS), 3, SAMPLES) };
console.log(`kernel case shape: ${program.largeUs.toFixed(0)} µs a case with ${MANY_SLOTS.toLocaleString('en')} slots, ${program.smallUs.toFixed(0)} µs with ${FEW_SLOTS} (${program.ratio.toFixed(2)}×)`);
const io = { small: FEW_READS, large: MANY_READS, ...alternated(ioSampler(FEW_READS), ioSampler(MANY_READS), 2, SAMPLES) };
console.log(`scheduler step: ${io.largeUs.toFixed(1)} µs with ${MANY_READS.toLocaleString('en')} reads in flight, ${io.smallUs.toFixed(1)} µs with ${FEW_READS} (${io.ratio.toFixed(2)}×)`);
const wait = { small: FEW_TASKS, large: MANY_TASKS, ...alternated(waitSampler(FEW_TASKS), waitSampler(MANY_TASKS), 3, SAMPLES) };
console.log(`fork and two waits: ${wait.largeUs.toFixed(1)} µs among ${MANY_TASKS.toLocaleString('en')} exited tasks, ${wait.smallUs.toFixed(1)} µs among ${FEW_TASKS} (${wait.ratio.toFixed(2)}×)`);
const mapName = { small: FEW_MAPS, large: MANY_MAPS, ...alternated(mapNameSampler(FEW_MAPS), mapNameSampler(MANY_MAPS), 3, SAMPLES) };
console.log(`map_update by name: ${mapName.largeUs.toFixed(1)} µs a run among ${MANY_MAPS.toLocaleString('en')} maps, ${mapName.smallUs.toFixed(1)} µs among ${FEW_MAPS} (${mapName.ratio.toFixed(2)}×)`);
const objects = { small: FEW_OBJECTS, large: MANY_OBJECTS, ...alternated(objectsSampler(FEW_OBJECTS), objectsSampler(MANY_OBJECTS), 3, SAMPLES) };
console.log(`set_global and prog_test_run by name: ${objects.largeUs.toFixed(1)} µs a run among ${MANY_OBJECTS.toLocaleString('en')} objects, ${objects.smallUs.toFixed(1)} µs among ${FEW_OBJECTS} (${objects.ratio.toFixed(2)}×)`);
const taskStorage = { small: FEW_MAPS, large: MANY_MAPS, ...alternated(taskStorageSampler(FEW_MAPS), taskStorageSampler(MANY_MAPS), 3, SAMPLES) };
console.log(`a task's first task storage element: ${taskStorage.largeUs.toFixed(1)} µs a case among ${MANY_MAPS.toLocaleString('en')} other maps, ${taskStorage.smallUs.toFixed(1)} µs among ${FEW_MAPS} (${taskStorage.ratio.toFixed(2)}×)`);
const fds = { small: FEW_FDS, large: MANY_FDS, ...alternated(fdsSampler(FEW_FDS), fdsSampler(MANY_FDS), 3, SAMPLES) };
console.log(`a step of a task with open files: ${fds.largeUs.toFixed(1)} µs with ${MANY_FDS.toLocaleString('en')}, ${fds.smallUs.toFixed(1)} µs with ${FEW_FDS} (${fds.ratio.toFixed(2)}×)`);
const works = { small: FEW_WORKS, large: MANY_WORKS, ...alternated(worksSampler(FEW_WORKS), worksSampler(MANY_WORKS), 3, SAMPLES) };
console.log(`a step of a task with queued task_works: ${works.largeUs.toFixed(1)} µs with ${MANY_WORKS.toLocaleString('en')}, ${works.smallUs.toFixed(1)} µs with ${FEW_WORKS} (${works.ratio.toFixed(2)}×)`);
const branch = { small: FEW_TASKS, large: MANY_TASKS, ...alternated(branchSampler(FEW_TASKS), branchSampler(MANY_TASKS), 3, SAMPLES) };
console.log(`a step from a world not the newest of its history: ${branch.largeUs.toFixed(1)} µs among ${MANY_TASKS.toLocaleString('en')} tasks, ${branch.smallUs.toFixed(1)} µs among ${FEW_TASKS} (${branch.ratio.toFixed(2)}×)`);
const folios = { small: FEW_SLOTS, large: MANY_SLOTS, ...alternated(foliosSampler(FEW_SLOTS), foliosSampler(MANY_SLOTS), 3, SAMPLES) };
console.log(`a read that moves its reader's folio: ${folios.largeUs.toFixed(1)} µs among ${MANY_SLOTS.toLocaleString('en')} folios held, ${folios.smallUs.toFixed(1)} µs among ${FEW_SLOTS} (${folios.ratio.toFixed(2)}×)`);
recordEntry(ROOT, 'tables', { dynptr, program, io, wait, mapName, objects, taskStorage, fds, works, branch, folios, goal: 2, cpu: cpus()[0]?.model ?? '?', loadavgStart: load0 });
