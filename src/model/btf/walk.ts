/**
 * What the verifier makes of a pointer loaded from a kernel structure: kernel/bpf/verifier.c
 * `check_ptr_to_btf_access` (7.2.13; the same rule since 6.5), after btf.c `btf_struct_access` found
 * the member. A pointer got by walking another is trusted only as far as the member is listed as
 * inheriting its parent's trust:
 * - from an untrusted pointer (`PTR_UNTRUSTED`), everything walked is untrusted;
 * - from a trusted or referenced pointer, or an RCU one (`MEM_RCU`): a member of
 *   `BTF_TYPE_SAFE_TRUSTED` stays trusted (`file->f_inode`); inside an RCU read section, a
 *   member of `BTF_TYPE_SAFE_RCU` is an RCU pointer, never NULL (`rcu_ptr_`), and any other member a
 *   plain `ptr_` ("walking unknown pointers yields old deprecated PTR_TO_BTF_ID"); outside one
 *   (a sleepable program outside a `bpf_rcu_read_lock` section: `in_rcu_cs`, src/model/rcu), untrusted;
 * - from a plain pointer, plain (the old compat case: its trust flags cleared).
 *
 * A member declared `__rcu` carries a BTF type tag only in a kernel built with clang; there the load
 * starts with `MEM_RCU` and a member of no list becomes `rcu_ptr_or_null_` in an RCU section. The
 * kernels the model is checked on are GCC builds whose BTF has no `rcu` tag (Debian's 7.2.13 cloud
 * kernel; the 6.18 host, whose only type tag is `address_space(1)`), so `__rcu` changes nothing here
 * (structs.ts records it).
 */
import type { FieldName, StructName } from './structs.ts';

/**
 * A BTF pointer's trust: `trusted` (PTR_TRUSTED, or a reference: `is_trusted_reg`), `rcu` (MEM_RCU),
 * `plain` (no flag), `untrusted` (PTR_UNTRUSTED).
 */
export type Trust = 'trusted' | 'rcu' | 'plain' | 'untrusted';

/**
 * The members of the structures the model has in `BTF_TYPE_SAFE_TRUSTED` (trusted whenever their
 * parent is: `struct file`'s `f_inode`) and in `BTF_TYPE_SAFE_RCU` (RCU pointers in an RCU read
 * section: `struct task_struct`'s `real_parent` and `group_leader`; the list's `cpus_ptr` and
 * `cgroups` the model does not have).
 */
export const SAFE_TRUSTED: Readonly<Partial<Record<StructName, ReadonlySet<FieldName>>>> = { file: new Set<FieldName>(['f_inode']) };
export const SAFE_RCU: Readonly<Partial<Record<StructName, ReadonlySet<FieldName>>>> = { task_struct: new Set<FieldName>(['real_parent', 'group_leader']) };

/** The trust of `base->field`, a pointer member of `struct`, loaded in an RCU read section or not. */
export function walkedTrust(base: Trust, struct: StructName, field: FieldName, inRcuCs: boolean): Trust {
  switch (base) {
    case 'untrusted': return 'untrusted';
    case 'plain': return 'plain';
    case 'trusted':
    case 'rcu':
      if (SAFE_TRUSTED[struct]?.has(field) === true) return 'trusted';
      if (!inRcuCs) return 'untrusted';
      return SAFE_RCU[struct]?.has(field) === true ? 'rcu' : 'plain';
  }
}
