/**
 * The members of kernel structures a program may read by name — `struct task_struct`
 * (include/linux/sched.h), `struct file` and `struct inode` (include/linux/fs.h) — as 7.2.13 declares
 * them (each was there in 6.18). C compiled against vmlinux.h records a CO-RE relocation for
 * `task->member` and libbpf fixes the offset for the running kernel, so the model needs no offsets.
 * The verifier checks such a load as a PTR_TO_BTF_ID access (kernel/bpf/verifier.c
 * `check_ptr_to_btf_access` → btf.c `btf_struct_access`); what a pointer member's load gives is
 * walk.ts's, what it holds at run time values.ts's.
 */

import { KernsimError } from '../kernel/errors.ts';

/** The structures the model reads members of. */
export const STRUCT_NAMES = ['task_struct', 'file', 'inode'] as const;
export type StructName = (typeof STRUCT_NAMES)[number];

/** A member: a scalar of a C type, or a pointer to another structure. */
export type Member =
  | { readonly kind: 'scalar'; readonly size: 4 | 8; readonly signed: boolean; /** The C type rendered C reads it as. */ readonly c: string }
  /** `rcu`: declared `__rcu` (a BTF type tag only in kernels built with clang: walk.ts). */
  | { readonly kind: 'ptr'; readonly to: StructName; readonly rcu: boolean };

/**
 * - task_struct: `pid`, `tgid` (`pid_t`); `real_parent` (`struct task_struct __rcu *`: the task that
 *   forked it, or the reaper it was handed to), `parent` (`__rcu` too: the same task unless ptraced,
 *   and the model has no ptrace), `group_leader` (the thread group's leader: every model task leads
 *   its own group, there are no threads).
 * - file: `f_inode` (`struct inode *`, cached from the dentry at open).
 * - inode: `i_ino` (`unsigned long`: the model's own inode numbers), `i_size` (`loff_t`, read as the
 *   member is, not through `i_size_read`).
 */
export const STRUCTS = {
  task_struct: {
    pid: { kind: 'scalar', size: 4, signed: true, c: 'int' },
    tgid: { kind: 'scalar', size: 4, signed: true, c: 'int' },
    real_parent: { kind: 'ptr', to: 'task_struct', rcu: true },
    parent: { kind: 'ptr', to: 'task_struct', rcu: true },
    group_leader: { kind: 'ptr', to: 'task_struct', rcu: false },
  },
  file: {
    f_inode: { kind: 'ptr', to: 'inode', rcu: false },
  },
  inode: {
    i_ino: { kind: 'scalar', size: 8, signed: false, c: 'unsigned long' },
    i_size: { kind: 'scalar', size: 8, signed: true, c: 'long long' },
  },
} as const satisfies Readonly<Record<StructName, Readonly<Record<string, Member>>>>;

/** A member's name (each names one member of one structure). */
export type FieldName = { [S in StructName]: keyof (typeof STRUCTS)[S] }[StructName];

/** The members' names, structure after structure (the program schema's enum). */
export const FIELD_NAMES = Object.freeze(Object.values(STRUCTS).flatMap((s) => Object.keys(s)) as [FieldName, ...FieldName[]]);

/** Member `field` of `struct`, or undefined when `struct` has no such member. */
export function memberOf(struct: StructName, field: FieldName): Member | undefined {
  const members: Readonly<Record<string, Member>> = STRUCTS[struct];
  return Object.prototype.hasOwnProperty.call(members, field) ? members[field] : undefined;
}

/** The structure member `field` belongs to, and its declaration (names are unique across STRUCTS). */
export function fieldDecl(field: FieldName): { readonly struct: StructName; readonly member: Member } {
  for (const struct of Object.keys(STRUCTS) as StructName[]) {
    const member = memberOf(struct, field);
    if (member !== undefined) return { struct, member };
  }
  throw new KernsimError(`no structure has a member ${field}`);
}

/** Whether `field` is a member of `struct` (narrowing it to that structure's names). */
export function isMemberOf<S extends StructName>(struct: S, field: FieldName): field is FieldName & keyof (typeof STRUCTS)[S] {
  return memberOf(struct, field) !== undefined;
}
