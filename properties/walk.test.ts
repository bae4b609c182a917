/**
 * P17 walked task pointers: chains of `task->real_parent`, `->parent` and `->group_leader` from a
 * hook's task or from current, in programs of seven sections, used three ways (`bpf_task_acquire`, a
 * KF_RCU kfunc; `bpf_get_task_exe_file`, which needs a trusted pointer; the end's `pid`), with no RCU
 * read section, one around the walk and the use, or one around the walk only. The oracle restates the
 * kernel's rules here, without the model's code:
 *
 * - kernel/bpf/verifier.c `check_ptr_to_btf_access` (7.2.13, the same since 6.5): walking an
 *   untrusted pointer gives an untrusted one, a plain one a plain one; from a trusted or RCU pointer,
 *   outside an RCU read section (a sleepable program, unless it opened one with bpf_rcu_read_lock) an
 *   untrusted one, inside one an RCU pointer for
 *   the members of `BTF_TYPE_SAFE_RCU(struct task_struct)` (real_parent, group_leader) and a plain one
 *   for the others (parent: a GCC-built kernel's BTF has no `__rcu` tag); `bpf_rcu_read_unlock` makes
 *   every RCU pointer untrusted (`invalidate_rcu_protected_refs`).
 * - `check_kfunc_args`: a KF_RCU kfunc takes a trusted or RCU pointer ("R1 must be a rcu pointer"
 *   otherwise), any other kfunc a trusted one ("R1 must be referenced or trusted").
 * - kernel/fork.c `copy_process` and the task the scenario forks: during `lsm/task_alloc` the child's
 *   members are its parent's (dup_task_struct); after, the child leads its own group and its parent
 *   is the forker; the forker was spawned, so its own parent is outside the model (an error, not a
 *   value).
 */
import fc from 'fast-check';
import { describe, test } from 'vitest';
import { content, NotModelledError, program as P, Session, verify, type BpfObject, type Op } from '../src/index.ts';
import { expectEqual } from './fast_expect.ts';

type Member = 'real_parent' | 'parent' | 'group_leader';
type Trust = 'trusted' | 'rcu' | 'plain' | 'untrusted';
type Use = 'acquire' | 'exe_file' | 'pid';

interface Section {
  readonly name: string;
  /** Where the chain starts: the hook's task argument (ctx[0], or ctx[1]) or current. */
  readonly base: 'arg' | 'arg1' | 'current';
  readonly baseTrust: Trust;
  readonly sleepable: boolean;
  /** The section may call bpf_get_task_exe_file (an LSM program). */
  readonly lsm: boolean;
  /** In the scenario below: the tasks the chain starts from, in the order the program runs (none: it does not run). */
  readonly runsOn: readonly Start[];
}

type Start = 'child' | 'forking child' | 'forker';

const SECTIONS: readonly Section[] = [
  { name: 'tp_btf/task_newtask', base: 'arg', baseTrust: 'trusted', sleepable: false, lsm: false, runsOn: ['child'] },
  // kernel_clone's tracepoint: ctx[1] is the child, after copy_process.
  { name: 'tp_btf/sched_process_fork', base: 'arg1', baseTrust: 'trusted', sleepable: false, lsm: false, runsOn: ['child'] },
  // do_exit's tracepoint, in each exiting task: the child, then the forker after its wait.
  { name: 'tp_btf/sched_process_exit', base: 'arg', baseTrust: 'trusted', sleepable: false, lsm: false, runsOn: ['child', 'forker'] },
  { name: 'lsm/task_alloc', base: 'arg', baseTrust: 'trusted', sleepable: false, lsm: true, runsOn: ['forking child'] },
  { name: 'lsm/file_open', base: 'current', baseTrust: 'trusted', sleepable: false, lsm: true, runsOn: ['child'] },
  { name: 'lsm.s/file_open', base: 'current', baseTrust: 'trusted', sleepable: true, lsm: true, runsOn: ['child'] },
  // Untrusted (kernel/bpf/bpf_lsm.c untrusted_lsm_hooks); it runs only for a refused fork, which this scenario has not.
  { name: 'lsm/task_free', base: 'arg', baseTrust: 'untrusted', sleepable: false, lsm: true, runsOn: [] },
];

/** The oracle's walk. */
function walk(t: Trust, m: Member, sleepable: boolean): Trust {
  if (t === 'untrusted' || t === 'plain') return t;
  if (sleepable) return 'untrusted';
  return m === 'parent' ? 'plain' : 'rcu';
}

/**
 * Where the program opens a `bpf_rcu_read_lock` section (src/model/rcu): none; around the walk and the
 * use; around the walk only (the use after the unlock, which made every RCU pointer untrusted).
 */
type Rcu = 'none' | 'around' | 'walk_only';

/** The verifier's first message for the chain's use (null: accepted). */
function expectedVerdict(sec: Section, chain: readonly Member[], use: Use, rcu: Rcu): string | null {
  // in_rcu_cs: a non-sleepable program, or inside a section.
  const walked = chain.reduce<Trust>((acc, m) => walk(acc, m, sec.sleepable && rcu === 'none'), sec.baseTrust);
  const t = rcu === 'walk_only' && walked === 'rcu' ? 'untrusted' : walked;
  if (use === 'pid') return null;
  if (use === 'acquire') return t === 'trusted' || t === 'rcu' ? null : 'R1 must be a rcu pointer';
  return t === 'trusted' ? null : 'R1 must be referenced or trusted';
}

/**
 * The pid read at the chain's end at run time, in the scenario: `forker` (spawned) forks `child`,
 * which opens a file and exits. 'outside': the chain reaches the forker's parent. The forking child's
 * own `pid` member is still the forker's (dup_task_struct; copy_process sets it after alloc_pid).
 */
function expectedEnd(start: Start, chain: readonly Member[], forker: number, child: number): number | 'outside' {
  let at: number | 'outside' = start === 'forker' ? forker : child;
  let forking = start === 'forking child';
  for (const m of chain) {
    if (at === 'outside') return 'outside';
    if (at === child && forking) {
      // dup_task_struct copied the forker's members.
      at = m === 'group_leader' ? forker : 'outside';
      forking = false;
      continue;
    }
    if (m === 'group_leader') continue;
    at = at === child ? forker : 'outside';
  }
  return at === child && forking ? forker : at;
}

const EXE = '/bin/sh';
const DATA = '/data';

function object(sec: Section, chain: readonly Member[], use: Use, rcu: Rcu): BpfObject {
  const { r, imm, NULL, call, ld, field, goto, when, label, ret, store, ctxPtr } = P;
  const body: Op[] = [sec.base === 'current' ? call('bpf_get_current_task_btf', [], 'p0') : ld('p0', 8, ctxPtr, sec.base === 'arg1' ? 8 : 0)];
  if (rcu !== 'none') body.push(call('bpf_rcu_read_lock', []));
  chain.forEach((m, i) => body.push(field(`p${i + 1}`, r(`p${i}`), m)));
  if (rcu === 'walk_only') body.push(call('bpf_rcu_read_unlock', []));
  const end = `p${chain.length}`;
  if (use === 'pid') body.push(field('v', r(end), 'pid'), store('end', r('v')));
  if (use === 'acquire') body.push(call('bpf_task_acquire', [r(end)], 'a'), goto('out', when('a', '==', NULL)), field('v', r('a'), 'pid'), store('end', r('v')), call('bpf_task_release', [r('a')]));
  if (use === 'exe_file') body.push(call('bpf_get_task_exe_file', [r(end)], 'f'), goto('out', when('f', '==', NULL)), store('end', imm(1)), call('bpf_put_file', [r('f')]));
  body.push(label('out'));
  if (rcu === 'around') body.push(call('bpf_rcu_read_unlock', []));
  body.push(ret(imm(0)));
  return { name: 'walk', maps: [], subprogs: [], globals: [{ name: 'end', kind: 'u64' }], programs: [{ name: 'walk', section: sec.name, body }] };
}

const caseArb = fc.record({
  sec: fc.constantFrom(...SECTIONS),
  chain: fc.array(fc.constantFrom<Member>('group_leader', 'real_parent', 'parent'), { maxLength: 4 }),
  use: fc.constantFrom<Use>('pid', 'acquire', 'exe_file'),
  rcu: fc.constantFrom<Rcu>('none', 'around', 'walk_only'),
}).filter((c) => c.use !== 'exe_file' || c.sec.lsm);

describe('P17 walked task pointers', () => {
  test('P17 the verifier\'s verdict on a chain of members, and the task at its end, are the kernel\'s', () => {
    fc.assert(fc.property(caseArb, ({ sec, chain, use, rcu }) => {
      const obj = object(sec, chain, use, rcu);
      const want = expectedVerdict(sec, chain, use, rcu);
      expectEqual(verify(obj, '7.2')[0]?.message ?? null, want);
      if (want !== null || sec.runsOn.length === 0) return;
      const s = new Session({ version: '7.2' });
      s.createFile({ path: EXE, content: content.zero(), size: 4096 });
      s.createFile({ path: DATA, content: content.zero(), size: 4096 });
      s.load(obj);
      const forker = s.spawn({ comm: 'forker', exe: EXE, script: [{ sys: 'fork', script: [{ sys: 'open', path: DATA, fd: 'd' }, { sys: 'exit' }] }, { sys: 'wait' }, { sys: 'exit' }] });
      let outcome: bigint | 'outside';
      let child = -1;
      try {
        s.simulate();
        outcome = s.global('end') as bigint;
        child = Number(s.world.tasks.get(forker)?.results[0]);
      } catch (e) {
        if (!(e instanceof NotModelledError)) throw e;
        outcome = 'outside';
      }
      // Each run stores its end; the last run's is left, unless one reached outside the model.
      const ends = sec.runsOn.map((start) => expectedEnd(start, chain, forker, child));
      const end = ends.includes('outside') ? 'outside' : ends[ends.length - 1];
      expectEqual(outcome, end === 'outside' ? 'outside' : use === 'exe_file' ? 1n : BigInt(end ?? -1));
    }));
  });
});
