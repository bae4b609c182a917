/**
 * The references of a scenario, checked when it is parsed (after its shape): every name it uses names
 * something it declares, and no name is declared twice. Each problem has its JSON Pointer and, where a
 * near name exists, "did you mean …". What is checked:
 *
 * - sections: libbpf's section table (src/model/program/sections.ts), `lsm/` hooks by name;
 * - kfuncs: the registry (src/model/kfunc/registry.ts), in calls and in `expect.calls`;
 * - globals, maps, callbacks (subprograms), labels of each object; programs by name (`prog_test_run`,
 *   `expect.verifier`, `expect.runs`);
 * - files (`exe`, `open`, `expect.pages`), tasks and their syscalls (`expect.results`), objects
 *   (`expect.load`);
 * - fds: a task's script opens a name before it reads, closes or advises it, and does not open a name
 *   still open (scripts are straight lines, so this is known before the run); a forked child's script
 *   starts with the names its parent had at the fork, and is checked as a script of its own;
 * - duplicates: file paths, object names, globals, maps and programs across the scenario (syscalls and
 *   expectations name them without their object), labels within a body; within an object, the names
 *   C would make clash (src/model/program/names.ts: one file scope, registers and stack variables).
 *
 * Task names (`comm`) may repeat, as in Linux: tasks are referred to by their index.
 */
import { didYouMean } from '../model/kernel/suggest.ts';
import type { Problem } from '../model/kernel/validate.ts';
import { kfuncDef, KFUNCS } from '../model/kfunc/registry.ts';
import type { Arg, BpfObject, Program, Subprog } from '../model/program/program.ts';
import { nameProblems } from '../model/program/names.ts';
import { attachProblem, sectionInfo, sectionNames } from '../model/program/sections.ts';
import type { Scenario } from './schema.ts';
import type { Syscall } from '../model/task/types.ts';

type Seg = string | number;
const esc = (k: Seg): string => String(k).replace(/~/g, '~0').replace(/\//g, '~1');
const ptr = (...segs: Seg[]): string => segs.map((s) => `/${esc(s)}`).join('');

/** Every reference problem of a scenario whose shape is valid. */
export function referenceProblems(sc: Scenario): Problem[] {
  const out: Problem[] = [];
  const add = (path: string, expected: string): void => { out.push({ path, expected }); };
  const kfuncNames = (): string[] => Object.keys(KFUNCS);

  // The machine: an smp world has several CPUs.
  if (sc.smp === true && sc.cpus !== undefined && sc.cpus < 2) add('/cpus', 'at least 2 possible CPUs, since "smp" is true');

  // Files.
  const files = new Map<string, number>();
  sc.files.forEach((f, i) => {
    const first = files.get(f.path);
    if (first !== undefined) add(ptr('files', i, 'path'), `a path no other file has (also /files/${first}/path)`);
    else files.set(f.path, i);
  });
  const fileRef = (path: string, where: string): void => {
    if (!files.has(path)) add(where, `the path of one of the scenario's files${didYouMean(path, files.keys())}`);
  };

  // Objects and what they declare, scenario-wide where syscalls and expectations name them.
  const objects = new Map<string, number>();
  const globals = new Map<string, { kind: string; at: string; oi: number }>();
  const maps = new Map<string, { at: string; oi: number }>();
  const mapTypes = new Map<string, string>();
  const programs = new Map<string, { at: string; oi: number }>();
  const callbacks = new Set<string>();
  sc.objects.forEach((o, oi) => {
    if (objects.has(o.name)) add(ptr('objects', oi, 'name'), `an object name not used before (also /objects/${objects.get(o.name) ?? 0}/name)`);
    else objects.set(o.name, oi);
    // Within the object (names.ts); across objects below, where a name met in the same object is
    // names.ts's problem already.
    for (const p of nameProblems(o)) add(ptr('objects', oi) + p.path, p.expected);
    o.globals.forEach((g, gi) => {
      const at = ptr('objects', oi, 'globals', gi, 'name');
      const prev = globals.get(g.name);
      if (prev === undefined) globals.set(g.name, { kind: g.kind, at, oi });
      else if (prev.oi !== oi) add(at, `a global name not declared before (also ${prev.at}; syscalls and expectations name globals without their object)`);
    });
    o.maps.forEach((m, mi) => {
      const at = ptr('objects', oi, 'maps', mi, 'name');
      const prev = maps.get(m.name);
      if (prev === undefined) {
        maps.set(m.name, { at, oi });
        mapTypes.set(m.name, m.type);
      } else if (prev.oi !== oi) add(at, `a map name not declared before (also ${prev.at})`);
    });
    o.programs.forEach((p, pi) => {
      const at = ptr('objects', oi, 'programs', pi, 'name');
      const prev = programs.get(p.name);
      if (prev === undefined) programs.set(p.name, { at, oi });
      else if (prev.oi !== oi) add(at, `a program name not used before (also ${prev.at})`);
    });
    for (const sp of o.subprogs) callbacks.add(sp.name);
    (o.weak ?? []).forEach((n, wi) => {
      if (kfuncDef(n)?.kind !== 'kfunc') add(ptr('objects', oi, 'weak', wi), `a kfunc kernsim models, to declare __weak${didYouMean(n, kfuncNames())}`);
    });
    o.programs.forEach((p, pi) => {
      const at = ptr('objects', oi, 'programs', pi, 'section');
      if (sectionInfo(p.section) === null) add(at, `a section libbpf knows and kernsim models (lsm/HOOK, lsm.s/HOOK, fentry/FN, syscall, …)${didYouMean(p.section, sectionNames())}`);
      else if (attachProblem(p.section) !== null) {
        const prefix = p.section.slice(0, p.section.indexOf('/') + 1);
        const what = prefix === 'tp_btf/' ? 'a raw tracepoint that exists' : 'an LSM hook that exists';
        add(at, `${what} (libbpf: ${attachProblem(p.section) ?? ''})${didYouMean(p.section, sectionNames().filter((n) => n.startsWith(prefix)))}`);
      }
      bodyProblems(o, p, ['objects', oi, 'programs', pi], add, kfuncNames);
    });
    o.subprogs.forEach((sp, si) => bodyProblems(o, sp, ['objects', oi, 'subprogs', si], add, kfuncNames));
  });

  // Tasks and their scripts.
  // A script, at `where`; a forked child's starts with its parent's descriptors (copy_files).
  const script = (steps: readonly Syscall[], where: readonly (string | number)[], open: Set<string>, everOpened: Set<string>): void => {
    steps.forEach((sys, si) => {
      const at = (k: string): string => ptr(...where, si, k);
      switch (sys.sys) {
        case 'open':
          fileRef(sys.path, at('path'));
          if (open.has(sys.fd)) add(at('fd'), `an fd name not open at this point (close ${JSON.stringify(sys.fd)} first)`);
          open.add(sys.fd);
          everOpened.add(sys.fd);
          break;
        case 'read': case 'close': case 'fadvise_dontneed':
          if (!everOpened.has(sys.fd)) add(at('fd'), `an fd name this task opened earlier in its script${didYouMean(sys.fd, everOpened)}`);
          if (sys.sys === 'close') open.delete(sys.fd);
          if (sys.sys === 'read' && sys.into !== undefined) {
            const g = globals.get(sys.into);
            if (g === undefined) add(at('into'), `a byte-array global (bytes or u64s) of a loaded object${didYouMean(sys.into, globals.keys())}`);
            else if (SCALAR_KINDS.has(g.kind)) add(at('into'), `a byte-array global (bytes or u64s); ${sys.into} is ${g.kind === 'int' ? 'an int' : `a ${g.kind}`}`);
          }
          break;
        case 'set_global': {
          const g = globals.get(sys.global);
          if (g === undefined) add(at('global'), `a global of a loaded object${didYouMean(sys.global, globals.keys())}`);
          else if (!SCALAR_KINDS.has(g.kind)) add(at('global'), `an int, u32 or u64 global; ${sys.global} is ${g.kind}`);
          break;
        }
        case 'map_update': case 'map_delete': case 'map_close':
          if (!maps.has(sys.map)) add(at('map'), `a map of a loaded object${didYouMean(sys.map, maps.keys())}`);
          break;
        case 'map_get_next_key': {
          if (!maps.has(sys.map)) add(at('map'), `a map of a loaded object${didYouMean(sys.map, maps.keys())}`);
          const g = sys.into === undefined ? undefined : globals.get(sys.into);
          if (sys.into !== undefined && g === undefined) add(at('into'), `an int, u32 or u64 global of a loaded object${didYouMean(sys.into, globals.keys())}`);
          else if (g !== undefined && !SCALAR_KINDS.has(g.kind)) add(at('into'), `an int, u32 or u64 global; ${sys.into ?? ''} is ${g.kind}`);
          break;
        }
        case 'ringbuf_consume': {
          if (!maps.has(sys.map)) add(at('map'), `a ring buffer map of a loaded object${didYouMean(sys.map, maps.keys())}`);
          else if (mapTypes.get(sys.map) !== 'ringbuf') add(at('map'), `a ring buffer map; ${sys.map} is ${mapTypes.get(sys.map) ?? '?'}`);
          if (sys.into !== undefined) {
            const g = globals.get(sys.into);
            if (g === undefined) add(at('into'), `a byte-array global (bytes or u64s) of a loaded object${didYouMean(sys.into, globals.keys())}`);
            else if (SCALAR_KINDS.has(g.kind)) add(at('into'), `a byte-array global (bytes or u64s); ${sys.into} is ${g.kind === 'int' ? 'an int' : `a ${g.kind}`}`);
          }
          break;
        }
        case 'prog_test_run':
          if (!programs.has(sys.prog)) add(at('prog'), `a program of a loaded object${didYouMean(sys.prog, programs.keys())}`);
          break;
        case 'fork':
          script(sys.script, [...where, si, 'script'], new Set(open), new Set(everOpened));
          break;
        default:
          break;
      }
    });
  };
  sc.tasks.forEach((t, ti) => {
    if (t.exe !== undefined) fileRef(t.exe, ptr('tasks', ti, 'exe'));
    script(t.script, ['tasks', ti, 'script'], new Set(), new Set());
  });

  // Expectations.
  const e = sc.expect ?? {};
  for (const name of Object.keys(e.globals ?? {})) {
    if (!globals.has(name)) add(ptr('expect', 'globals', name), `a global of a loaded object${didYouMean(name, globals.keys())}`);
  }
  (e.calls ?? []).forEach((c, i) => {
    if (kfuncDef(c.fn) === undefined) add(ptr('expect', 'calls', i, 'fn'), `a kfunc or helper kernsim models${didYouMean(c.fn, kfuncNames())}`);
  });
  (e.results ?? []).forEach((r, i) => {
    const t = sc.tasks[r.task];
    if (t === undefined) add(ptr('expect', 'results', i, 'task'), `a task index below ${sc.tasks.length}`);
    else if (r.syscall >= t.script.length) add(ptr('expect', 'results', i, 'syscall'), `a syscall index below ${t.script.length} (task ${r.task}'s script)`);
  });
  (e.verifier ?? []).forEach((v, i) => {
    if (!programs.has(v.program)) add(ptr('expect', 'verifier', i, 'program'), `a program of the scenario${didYouMean(v.program, programs.keys())}`);
  });
  (e.load ?? []).forEach((l, i) => {
    if (!objects.has(l.object)) add(ptr('expect', 'load', i, 'object'), `an object of the scenario${didYouMean(l.object, objects.keys())}`);
  });
  for (const path of Object.keys(e.pages ?? {})) fileRef(path, ptr('expect', 'pages', path));
  (e.runs ?? []).forEach((r, i) => {
    if (!programs.has(r.program) && !callbacks.has(r.program)) add(ptr('expect', 'runs', i, 'program'), `a program or callback of the scenario${didYouMean(r.program, [...programs.keys(), ...callbacks])}`);
  });
  return out;
}

/** Globals that hold one scalar (`int`, `__u32`, `__u64`). */
const SCALAR_KINDS: ReadonlySet<string> = new Set(['int', 'u32', 'u64']);

/**
 * The references of one function: its stack variables and parameters (no name twice), and in its
 * body labels, kfuncs (or functions of the object), globals, stack variables, maps, callbacks.
 */
function bodyProblems(o: BpfObject, fn: Program | Subprog, at: Seg[], add: (path: string, expected: string) => void, kfuncNames: () => string[]): void {
  const body = fn.body;
  const locals = new Map<string, string>();
  const params = 'params' in fn ? fn.params ?? [] : [];
  params.forEach((p, i) => {
    if (locals.has(p.name)) add(ptr(...at, 'params', i, 'name'), 'a parameter name not used before in this function');
    else locals.set(p.name, p.type);
  });
  (fn.locals ?? []).forEach((l, i) => {
    if (locals.has(l.name)) add(ptr(...at, 'locals', i, 'name'), 'a stack variable name not used before in this function');
    else locals.set(l.name, typeof l.type === 'string' ? l.type : 'bytes');
  });
  at = [...at, 'body'];
  const labels = new Map<string, number>();
  body.forEach((op, i) => {
    if (op.op !== 'label') return;
    if (labels.has(op.name)) add(ptr(...at, i, 'name'), `a label not used before in this body (also at op ${labels.get(op.name) ?? 0})`);
    else labels.set(op.name, i);
  });
  const globalKinds = new Map(o.globals.map((g) => [g.name, g.kind] as const));
  const mapNames = o.maps.map((m) => m.name);
  const subNames = o.subprogs.map((s) => s.name);
  const kptrNames = o.maps.flatMap((m) => (m.kptrs ?? []).map((p) => p.name));
  const arg = (a: Arg, where: Seg[]): void => {
    if ('global' in a && !globalKinds.has(a.global)) add(ptr(...where, 'global'), `a global of object ${o.name}${didYouMean(a.global, globalKinds.keys())}`);
    if ('buf' in a && locals.get(a.buf) !== 'bytes') {
      const kind = globalKinds.get(a.buf);
      if (kind === undefined) add(ptr(...where, 'buf'), `a byte array of object ${o.name} or of this function${didYouMean(a.buf, [...globalKinds.keys(), ...locals.keys()])}`);
      else if (SCALAR_KINDS.has(kind)) add(ptr(...where, 'buf'), `a byte-array global (bytes or u64s); ${a.buf} is ${kind === 'int' ? 'an int' : `a ${kind}`}`);
    }
    if ('addr' in a && !locals.has(a.addr) && !globalKinds.has(a.addr)) add(ptr(...where, 'addr'), `a stack variable of this function or a global of object ${o.name}${didYouMean(a.addr, [...locals.keys(), ...globalKinds.keys()])}`);
    // A dynptr operand may name a stack variable not declared: it is declared by its first use.
    if ('map' in a && !mapNames.includes(a.map)) add(ptr(...where, 'map'), `a map of object ${o.name}${didYouMean(a.map, mapNames)}`);
    if ('cb' in a && !subNames.includes(a.cb)) add(ptr(...where, 'cb'), `a subprogram of object ${o.name}${didYouMean(a.cb, subNames)}`);
    if ('kptr' in a && !kptrNames.includes(a.field)) add(ptr(...where, 'field'), `a kptr field of a map of object ${o.name}${didYouMean(a.field, kptrNames)}`);
    if ('ksym' in a && kfuncDef(a.ksym)?.kind !== 'kfunc') add(ptr(...where, 'ksym'), `a kfunc kernsim models (bpf_ksym_exists tests a __ksym extern)${didYouMean(a.ksym, kfuncNames())}`);
  };
  body.forEach((op, i) => {
    const here = [...at, i];
    switch (op.op) {
      case 'call':
        if (kfuncDef(op.fn) === undefined && !subNames.includes(op.fn)) add(ptr(...here, 'fn'), `a kfunc or helper kernsim models, or a function of the object${didYouMean(op.fn, [...kfuncNames(), ...subNames])}`);
        op.args.forEach((a, j) => arg(a, [...here, 'args', j]));
        break;
      case 'mov': case 'alu': case 'ret':
        arg(op.src, [...here, 'src']);
        break;
      case 'ld': case 'field':
        arg(op.base, [...here, 'base']);
        break;
      case 'st': case 'atomic':
        arg(op.base, [...here, 'base']);
        arg(op.src, [...here, 'src']);
        break;
      case 'memcpy':
        arg(op.dst, [...here, 'dst']);
        arg(op.src, [...here, 'src']);
        break;
      case 'memset':
        arg(op.dst, [...here, 'dst']);
        break;
      case 'store': {
        const kind = globalKinds.get(op.global);
        if (kind === undefined) add(ptr(...here, 'global'), `a global of object ${o.name}${didYouMean(op.global, globalKinds.keys())}`);
        else if (op.index === undefined && !SCALAR_KINDS.has(kind)) add(ptr(...here, 'global'), `an int, u32 or u64 global (or an index into a u64s global); ${op.global} is ${kind}`);
        else if (op.index !== undefined && kind !== 'u64s') add(ptr(...here, 'index'), `no index: ${op.global} is ${kind}, not u64s`);
        else if (op.index !== undefined) {
          const size = o.globals.find((g) => g.name === op.global && g.kind === 'u64s');
          if (size !== undefined && size.kind === 'u64s' && op.index >= size.size) add(ptr(...here, 'index'), `an index below ${size.size} (the size of ${op.global})`);
        }
        arg(op.src, [...here, 'src']);
        break;
      }
      case 'memcmp':
        for (const k of ['a', 'aoff', 'b', 'boff', 'len'] as const) arg(op[k], [...here, k]);
        break;
      case 'goto':
        if (!labels.has(op.to)) add(ptr(...here, 'to'), `a label of this body${didYouMean(op.to, labels.keys())}`);
        if (op.if !== undefined) arg(op.if.v, [...here, 'if', 'v']);
        break;
      case 'label':
        break;
    }
  });
}
