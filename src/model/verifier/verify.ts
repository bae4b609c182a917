/**
 * A model of the BPF verifier for program values (kernel/bpf/verifier.c: `bpf_check` → `do_check`
 * over the main program, its static functions and callbacks; global functions and task_work
 * callbacks on their own), after libbpf's own load-time checks (the section, the externs). It walks
 * every path of a program (walker.ts), tracking registers, stack slots (stack.ts), memory accesses
 * (mem.ts), calls (calls.ts) and loops (loops.ts), and rejects with the kernel's message where the
 * kernel would.
 *
 * Instruction numbers are op indices (the kernel's instruction numbers for `asm` programs).
 */
import type { BpfObject, Program } from '../program/program.ts';
import { attachName, attachProblemOf, sectionInfo, type SectionInfo } from '../program/sections.ts';
import { EINVAL, ESRCH } from '../kernel/errno.ts';
import { availableIn } from '../kfunc/kfunc.ts';
import { versionAtLeast } from '../kernel/version.ts';
import { Messages } from './messages.ts';
import { initLocals } from './locals.ts';
import { asMade } from '../btf/object.ts';
import { checkWeak } from '../program/ksym.ts';
import { Reject, type AState, type Verdict, type VerifyOptions } from './types.ts';
import { programFrame, Walker } from './walker.ts';

export type { AVal, Specialization, Verdict, VerifyOptions } from './types.ts';

/** The LSM hooks whose first argument is the `struct file` (include/linux/lsm_hook_defs.h). */
const FILE_HOOKS: ReadonlySet<string> = new Set(['lsm/file_open', 'lsm/mmap_file', 'lsm/file_release']);

/**
 * Verify one program of an object, as loading it alone does (libbpf's `bpf_object__load` with the
 * other programs' autoload off): the object's externs (`externVerdict`), then the program's own
 * preparation and the kernel's verifier (`verifyLoaded`), against the object as the kernel gets it
 * (btf/object.ts `asMade`: without BTF when the kernel refuses the object's, and each map whose fields
 * BPF_MAP_CREATE refuses made again without BTF). Making the maps, and a map refused for another
 * reason, are not this function's: `loadObject` (src/scheduler/setup.ts) does the whole order.
 */
export function verifyProgram(obj: BpfObject, prog: Program, opts: VerifyOptions): Verdict {
  const refused = externVerdict(obj, prog, opts);
  if (refused !== null) return refused;
  const view = asMade(obj);
  return verifyLoaded(view.obj, prog, { ...opts, btf: opts.btf ?? view.btf, source: opts.source ?? obj });
}

/** The walker of one program and its early verdicts (refusals before any instruction is walked). */
function start(obj: BpfObject, prog: Program, opts: VerifyOptions): { w: Walker; info: SectionInfo | null; hookFile: boolean; ctxNullable: boolean; base: Pick<Verdict, 'program' | 'specializations' | 'guessedRegisters'>; early: (message: string, insn: number | null, errno?: number) => Verdict } {
  const info = sectionInfo(prog.section);
  // The LSM hooks the model fires take a `struct file *` first: a trusted pointer (btf_ctx_access),
  // which may be NULL for mmap_file from 7.0 (kernel/bpf/bpf_lsm_proto.c declares the hook's
  // parameter `file__nullable`: PTR_MAYBE_NULL; an anonymous mapping has no file).
  const hookFile = info !== null && info.hook !== null && FILE_HOOKS.has(info.hook);
  const ctxNullable = info?.hook === 'lsm/mmap_file' && opts.features.lsmMmapFileNullable;
  const w = new Walker(obj, opts, { name: prog.name, type: info?.type ?? 'SYSCALL', sleepable: info?.sleepable ?? false, hookFile, ctxNullable, attachType: info?.attachType ?? null, hook: info?.hook ?? null });
  const base = { program: prog.name, specializations: w.specializations, guessedRegisters: false };
  const early = (message: string, insn: number | null, errno?: number): Verdict => ({ ...base, ok: false, message, log: [message], insn, states: 0, ...(errno === undefined ? {} : { errno }) });
  return { w, info, hookFile, ctxNullable, base, early };
}

/**
 * libbpf's `bpf_object__resolve_externs`, the first step of `bpf_object__load`, before any map or
 * program: a kfunc the object calls (in any of its functions, loaded or not) that the kernel's BTF
 * does not have fails the whole load with -EINVAL, unless it is weak (program/ksym.ts); one whose
 * name the kernel's BTF keeps with another prototype (`keptInBtf`) fails it weak or not, as does a
 * weak one the object only tests. The verdict names `prog`, the program the caller is loading; null
 * when every extern resolves.
 */
export function externVerdict(obj: BpfObject, prog: Program, opts: VerifyOptions): Verdict | null {
  const weak = checkWeak(obj, opts.kfuncs);
  const version = opts.features.version;
  const m = new Messages(opts.features);
  /** The extern's failure, or null when libbpf resolves it (or leaves a weak one unresolved). */
  const problem = (fn: string): string | null => {
    const def = opts.kfuncs[fn];
    if (def === undefined || def.kind !== 'kfunc' || availableIn(def, version)) return null;
    // bpf_object__resolve_ksym_func_btf_id: found by name, then its prototype checked.
    if (def.keptInBtf === true && def.until !== undefined && versionAtLeast(version, def.until)) return m.incompatibleKfunc(fn);
    return weak.has(fn) ? null : m.missingKfunc(fn);
  };
  const called = new Set<string>();
  for (const body of [...obj.programs.map((p) => p.body), ...obj.subprogs.map((p) => p.body)]) {
    for (let pc = 0; pc < body.length; pc += 1) {
      const op = body[pc];
      if (op === undefined || op.op !== 'call') continue;
      called.add(op.fn);
      const message = problem(op.fn);
      if (message !== null) return start(obj, prog, opts).early(message, pc, -EINVAL);
    }
  }
  // The externs only tested with bpf_ksym_exists.
  for (const fn of weak) {
    if (called.has(fn)) continue;
    const message = problem(fn);
    if (message !== null) return start(obj, prog, opts).early(message, null, -EINVAL);
  }
  return null;
}

/**
 * One program's load once the object's externs resolved and its maps exist (libbpf's
 * `bpf_object_load_prog`, then `BPF_PROG_LOAD`): libbpf's own checks of the program (its section,
 * its attach target: `libbpf_prepare_prog_load`), then the kernel's verifier.
 */
export function verifyLoaded(obj: BpfObject, prog: Program, opts: VerifyOptions): Verdict {
  const { w, info, hookFile, ctxNullable, base, early } = start(obj, prog, opts);
  const type = info?.type ?? 'UNSPEC';
  const name = prog.section.startsWith('?') ? prog.section.slice(1) : prog.section;
  // bpf_object_load_prog: a section libbpf does not know left the program's type unset; the load
  // fails with -EINVAL before the kernel sees it.
  if (info === null) return early(w.m.unknownSection(prog.name, name), null, -EINVAL);
  if (!info.modelled) return early(w.m.notModelled(name, type), null);
  // libbpf_prepare_prog_load: a BTF-attached section names its target after the '/'. Without one
  // (`SEC("lsm")`) the load fails at once with -EINVAL; an empty one (`SEC("lsm/")`) is looked up,
  // found nowhere, and fails with -ESRCH (libbpf_find_attach_btf_id).
  if (info.secDef.endsWith('+') && (info.type === 'TRACING' || info.type === 'LSM' || info.type === 'EXT') && (info.target === null || info.target === '')) {
    return info.target === null ? early(w.m.noBtfTarget(prog.name), null, -EINVAL) : early(w.m.noAttachTarget(prog.name, ''), null, -ESRCH);
  }
  // libbpf resolves an LSM or tp_btf program's attach target (`bpf_lsm_<hook>`, `btf_trace_<name>`)
  // before the program is loaded.
  if (attachProblemOf(info) !== null) return early(w.m.noAttachTarget(prog.name, attachName(info) ?? ''), null, -ESRCH);
  // resolve_pseudo_ldimm64 → check_map_prog_compatibility, as each map the code names is added,
  // before any instruction is verified: a sleepable program may not use some map types (of the
  // model's, a bloom filter).
  if (info.sleepable) {
    const bad = mapsNamed(obj, prog).map((n) => obj.maps.find((m) => m.name === n)).find((m) => m !== undefined && !SLEEPABLE_MAP_TYPES.has(m.type));
    if (bad !== undefined) return early(w.m.sleepableMap(), null, -EINVAL);
  }
  try {
    const init: AState = { frames: [programFrame(prog, hookFile, ctxNullable)], refs: new Map() };
    w.run(initLocals(w, init, prog), { sleepable: info.sleepable, type: info.type, asm: prog.asm === true });
    // fixup_kfunc_call, after the walk: a call to an unresolved weak kfunc some path reached (program/ksym.ts).
    if (w.unresolvedCall !== null) {
      const message = w.m.unresolvedCall();
      return { ...base, ok: false, message, log: [...w.log, message], insn: w.unresolvedCall, states: w.states, errno: -EINVAL };
    }
    return { ...base, ok: true, message: null, log: w.log, insn: null, states: w.states };
  } catch (e) {
    if (e instanceof Reject) {
      return { ...base, guessedRegisters: w.registersGuessed, ok: false, message: e.msg, log: [...w.log, e.msg, ...e.extra], insn: e.insn, states: w.states, errno: e.errno };
    }
    throw e;
  }
}

/**
 * The map types a sleepable program may use (`check_map_prog_compatibility`, the same list in 6.18 and
 * 7.2 for the model's types): all of the model's but a bloom filter.
 */
const SLEEPABLE_MAP_TYPES: ReadonlySet<string> = new Set(['hash', 'lru_hash', 'array', 'percpu_hash', 'percpu_array', 'lru_percpu_hash', 'ringbuf', 'task_storage', 'queue', 'stack']);

/**
 * The maps the program's code names (`{ map }` operands), in the program and the functions it calls
 * or passes as callbacks: those libbpf links into it.
 */
function mapsNamed(obj: BpfObject, prog: Program): string[] {
  const maps = new Set<string>();
  const fns = new Set<string>();
  const subprogs = new Map(obj.subprogs.map((f) => [f.name, f]));
  const todo: unknown[] = [prog.body];
  // Every operand object is visited once: a body is a tree of ops and operands, bounded by its size.
  while (todo.length > 0) {
    const v = todo.pop();
    if (Array.isArray(v)) { todo.push(...v); continue; }
    if (v === null || typeof v !== 'object') continue;
    for (const [key, x] of Object.entries(v)) {
      if (key === 'map' && typeof x === 'string') maps.add(x);
      else if ((key === 'cb' || key === 'fn') && typeof x === 'string' && subprogs.has(x) && !fns.has(x)) {
        fns.add(x);
        todo.push(subprogs.get(x)?.body);
      } else if (typeof x === 'object') todo.push(x);
    }
  }
  return [...maps];
}

/** Verify every program of an object (each as if it were the one loaded). */
export function verifyObject(obj: BpfObject, opts: VerifyOptions): Verdict[] {
  return obj.programs.map((p) => verifyProgram(obj, p, opts));
}
