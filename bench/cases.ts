/**
 * The worlds and workloads `npm run bench` measures (one place, shared with the profiling scripts).
 * Each function returns what one measured run does; see bench.ts for how each is timed.
 */
import seedrandom from 'seedrandom';
import { WorldValue } from '../src/model/world/state.ts';
import { content, program as P, run, seededChooser, Session, type BpfObject, type Content, type Syscall, type World } from '../src/index.ts';

/** Random bytes from a seed. */
export function randomBytes(seed: string, n: number): Uint8Array {
  const rng = seedrandom(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 1) out[i] = Math.floor(rng() * 256);
  return out;
}

/**
 * A session (non-sleepable, like an `lsm/` program) with one file at `/f` of `size` bytes, all in
 * the page cache, and a FILE dynptr `d` over it: the starting world of the call measurements.
 */
export function fileSession(c: Content, size: number): Session {
  const s = new Session();
  s.createFile({ path: '/f', content: c, size });
  s.populate('/f');
  s.bpf_dynptr_from_file(s.open('/f'), 0, 'd');
  return s;
}

/** The object of the kernel case shape: `lsm/file_open` makes a FILE dynptr of the opened file, reads 16 bytes, discards it. */
export function caseObject(): BpfObject {
  const { imm, dynptr, buf, call, ret, ctxFile } = P;
  return {
    name: 'case_shape',
    maps: [],
    globals: [{ name: 'buf', kind: 'bytes', size: 16 }],
    subprogs: [],
    programs: [{
      name: 'on_open', section: 'lsm/file_open', body: [
        call('bpf_dynptr_from_file', [ctxFile, imm(0), dynptr('d')], 'r0'),
        call('bpf_dynptr_read', [buf('buf'), imm(16), dynptr('d'), imm(0), imm(0)], 'r0'),
        call('bpf_dynptr_file_discard', [dynptr('d')]),
        ret(imm(0)),
      ],
    }],
  };
}

/** A session with the case object loaded, an executable and a cached trigger file. */
export function caseSession(): Session {
  const s = new Session();
  s.createFile({ path: '/bin/driver', content: content.pattern(2), size: 8192 });
  s.createFile({ path: '/tmp/trigger', content: content.pattern(3), size: 4096 });
  s.populate('/tmp/trigger');
  s.load(caseObject());
  return s;
}

/** One case: a task opens the trigger (the hook runs) and closes it; the scheduler runs it to the end. */
export const CASE_SCRIPT: readonly Syscall[] = [{ sys: 'open', path: '/tmp/trigger', fd: 't' }, { sys: 'close', fd: 't' }];
export function runCase(s: Session): void {
  s.spawn({ comm: 'driver', exe: '/bin/driver', script: CASE_SCRIPT });
  s.simulate();
}

/**
 * `tasks` tasks, each: sleep, open a cached file, read 16 bytes of it, close it, sleep; run under a
 * seeded schedule (so the run queue is asked for any of the ready actions, not only the first).
 * `smp`: on a machine of several CPUs, where a task whose next step may run a program (an open runs
 * the `lsm/file_open` hook) may also stop at its next call: one more ready action for each.
 */
export function manyTasksWorld(tasks: number, smp = false): World {
  const s = new Session({ smp });
  s.createFile({ path: '/f', content: content.pattern(4), size: 4096 });
  s.populate('/f');
  for (let i = 0; i < tasks; i += 1) {
    s.spawn({ comm: `t${i}`, script: [
      { sys: 'sleep', ticks: 1 + (i % 3) },
      { sys: 'open', path: '/f', fd: 'f' },
      { sys: 'read', fd: 'f', offset: 0, len: 16 },
      { sys: 'close', fd: 'f' },
      { sys: 'sleep', ticks: 1 },
    ] });
  }
  return s.world;
}

/** `tasks` tasks (default one) whose scripts are `sleeps` sleeps of one tick (a script holds at most 10,000 syscalls). */
export function sleepsWorld(sleeps: number, tasks = 1): World {
  const s = new Session();
  const script = Array.from({ length: sleeps }, () => ({ sys: 'sleep' as const, ticks: 1 }));
  for (let i = 0; i < tasks; i += 1) s.spawn({ comm: `sleeper${i}`, script });
  return s.world;
}

/**
 * Run a scheduler world to the end; the number of steps it took, from the lengths of the worlds'
 * logs of choices (`World.choices` would make an array of all of them: an allocation that grows
 * with the run, which the benchmark would measure as the model's).
 */
export function runToEnd(w: World, seed = 1): number {
  const end = run(w, seededChooser(seed));
  return WorldValue.choiceLog(end).length - WorldValue.choiceLog(w).length;
}
