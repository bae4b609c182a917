/** `bpf_rcu_read_lock` and `bpf_rcu_read_unlock`, registered under their kernel names (README.md). */
import { defineKfunc } from '../kfunc/kfunc.ts';
import { registerKfuncs } from '../kfunc/registry.ts';

export const bpf_rcu_read_lock = defineKfunc({
  name: 'bpf_rcu_read_lock',
  mirrors: 'kernel/bpf/helpers.c: bpf_rcu_read_lock; kernel/bpf/verifier.c: check_kfunc_call (active_rcu_locks)',
  kind: 'kfunc',
  since: '6.18',
  summary: 'Open an RCU read section (rcu_read_lock): pointers walked inside it are RCU pointers, in a sleepable program too.',
  args: [],
  ret: 'void',
  flags: [],
  checks: [
    'inside a section already → 6.x: the verifier refuses the program (nested rcu read lock); 7.x: sections nest (a count)',
    'the program reaches its exit inside a section → the verifier refuses it (BPF_EXIT … inside bpf_rcu_read_lock-ed region)',
    'a sleepable helper or kfunc inside a section → the verifier refuses the program',
  ],
  effects: ['none the model keeps: rcu_read_lock() only delays grace periods, and no program of the model spans one'],
  confidence: 'H (source; 6.18 host: nesting refused)',
  impl() {
    return undefined;
  },
});

export const bpf_rcu_read_unlock = defineKfunc({
  name: 'bpf_rcu_read_unlock',
  mirrors: 'kernel/bpf/helpers.c: bpf_rcu_read_unlock; kernel/bpf/verifier.c: check_kfunc_call, invalidate_rcu_protected_refs',
  kind: 'kfunc',
  since: '6.18',
  summary: 'Close the RCU read section bpf_rcu_read_lock opened (rcu_read_unlock); its RCU pointers become untrusted.',
  args: [],
  ret: 'void',
  flags: [],
  checks: ['no section open → the verifier refuses the program (unmatched rcu read unlock)'],
  effects: ['none the model keeps at run time; to the verifier, the outermost unlock makes every RCU pointer untrusted'],
  confidence: 'H (source)',
  impl() {
    return undefined;
  },
});

export const RCU_KFUNCS = registerKfuncs({ bpf_rcu_read_lock, bpf_rcu_read_unlock });

type RcuKfuncs = typeof RCU_KFUNCS;
declare module '../kfunc/registry.ts' {
  interface KfuncRegistry extends RcuKfuncs {}
}
