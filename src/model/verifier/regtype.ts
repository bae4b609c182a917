/**
 * `reg_type_str` (kernel/bpf/log.c): how the verifier's messages name what a register holds — a
 * base type with the flags' prefixes (`rcu_`, `untrusted_`, `trusted_`, …) and `_or_null`.
 */
import type { AVal } from './types.ts';

/** How a message names what a register holds. */
export function regTypeStr(v: AVal): string {
  switch (v.t) {
    case 'scalar': return 'scalar';
    case 'fp': return 'fp';
    case 'map_value': return v.maybeNull ? 'map_value_or_null' : 'map_value';
    case 'mem': return v.mapKey === true ? 'map_key' : `${v.rdonly ? 'rdonly_' : ''}${v.ringbuf === true ? 'ringbuf_' : ''}mem${v.maybeNull ? '_or_null' : ''}`;
    case 'ctx': return 'ctx';
    case 'map': return 'map_ptr';
    // PTR_TO_BTF_ID: PTR_TRUSTED on current and a hook's argument, not on an acquired reference
    // (check_kfunc_call gives KF_ACQUIRE's R0 no such flag; its ref_obj_id makes it trusted).
    case 'task':
    case 'file': return `${v.walked === 'rcu' ? 'rcu_' : v.walked === undefined && v.ref === null ? 'trusted_' : ''}ptr_${v.maybeNull ? 'or_null_' : ''}`;
    case 'func': return 'func';
    case 'dynptr_ptr': return 'dynptr_ptr';
    case 'btf': return `${v.trusted ? 'trusted_' : 'untrusted_'}ptr_${v.maybeNull === true ? 'or_null_' : ''}`;
  }
}
