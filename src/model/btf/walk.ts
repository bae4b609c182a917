/**
 * What the verifier makes of a pointer loaded from a kernel structure: kernel/bpf/verifier.c
 * `check_ptr_to_btf_access` (7.2.13; the same rule since 6.5), after btf.c `btf_struct_access` found
 * the member. A pointer got by walking another is trusted only as far as the member is listed as
 * inheriting its parent's trust:
 * - from an untrusted pointer (`PTR_UNTRUSTED`), everything walked is untrusted;
 * - from a trusted or referenced pointer, or an RCU one (`MEM_RCU`): a member of
 *   `BTF_TYPE_SAFE_TRUSTED` stays trusted (task_struct has none); inside an RCU read section, a
 *   member of `BTF_TYPE_SAFE_RCU` is an RCU pointer, never NULL (`rcu_ptr_`), and any other member a
 *   plain `ptr_` ("walking unknown pointers yields old deprecated PTR_TO_BTF_ID"); outside one
 *   (a sleepable program outside a `bpf_rcu_read_lock` section: `in_rcu_cs`, src/model/rcu), untrusted;
 * - from a plain pointer, plain (the old compat case: its trust flags cleared).
 *
 * A member declared `__rcu` carries a BTF type tag only in a kernel built with clang; there the load
 * starts with `MEM_RCU` and a member of no list becomes `rcu_ptr_or_null_` in an RCU section. The
 * kernels the model is checked on are GCC builds whose BTF has no `rcu` tag (Debian's 7.2.13 cloud
 * kernel; the 6.18 host, whose only type tag is `address_space(1)`), so `__rcu` changes nothing here
 * (task_struct.ts records it).
 */
import type { TaskPointerField } from './task_struct.ts';

/**
 * A BTF pointer's trust: `trusted` (PTR_TRUSTED, or a reference: `is_trusted_reg`), `rcu` (MEM_RCU),
 * `plain` (no flag), `untrusted` (PTR_UNTRUSTED).
 */
export type Trust = 'trusted' | 'rcu' | 'plain' | 'untrusted';

/** `BTF_TYPE_SAFE_RCU(struct task_struct)`'s members the model has (the others: `cpus_ptr`, `cgroups`). */
export const TASK_SAFE_RCU: ReadonlySet<TaskPointerField> = new Set<TaskPointerField>(['real_parent', 'group_leader']);

/**
 * The trust of `base->field`, a task pointer member, loaded in an RCU read section or not (never
 * `trusted`: task_struct has no `BTF_TYPE_SAFE_TRUSTED` member).
 */
export function walkedTrust(base: Trust, field: TaskPointerField, inRcuCs: boolean): Exclude<Trust, 'trusted'> {
  switch (base) {
    case 'untrusted': return 'untrusted';
    case 'plain': return 'plain';
    case 'trusted':
    case 'rcu':
      if (!inRcuCs) return 'untrusted';
      return TASK_SAFE_RCU.has(field) ? 'rcu' : 'plain';
  }
}
