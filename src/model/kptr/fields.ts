/**
 * Kptr fields of element memory at run time: what a load gives, what a store or `bpf_kptr_xchg`
 * puts there, and what freeing the element's fields does to them (kernel/bpf/syscall.c
 * `bpf_obj_free_fields`). The verifier decides which program may do which (../verifier/mem.ts, ./access.ts).
 */
import { ArgumentError } from '../kernel/errors.ts';
import type { LayoutView } from '../maps/layout.ts';
import type { MapSlot } from '../maps/types.ts';
import { taskPut } from '../task/task.ts';
import type { Kern } from '../world/world.ts';
import type { KptrVal } from './types.ts';

/** The kptr at index `i` of an element memory (NULL until stored). */
export function kptrOf(slot: { readonly kptrs: readonly KptrVal[] }, i: number): KptrVal {
  if (!Number.isInteger(i) || i < 0 || i >= slot.kptrs.length) throw new ArgumentError('field', i, `a kptr field of the value (it has ${slot.kptrs.length})`);
  return slot.kptrs[i] ?? null;
}

/**
 * `xchg(field, v)`: the field holds `v`, and the old content is returned (bpf_kptr_xchg: the reference
 * moves with the pointer, so no count changes hands).
 */
export function kptrSwap(slot: MapSlot, i: number, v: KptrVal): KptrVal {
  const old = kptrOf(slot, i);
  slot.kptrs[i] = v;
  return old;
}

/**
 * `bpf_obj_free_fields` for the kptrs of an element memory: each referenced one is taken out and its
 * destructor run (`bpf_task_release_dtor` → `put_task_struct_rcu_user`: one reference fewer on the
 * task); an untrusted one is cleared.
 */
export function freeKptrs(k: Kern, slot: MapSlot, layout: LayoutView): void {
  for (const f of layout.fields) {
    if (f.kind !== 'kptr') continue;
    const v = slot.kptrs[f.index] ?? null;
    if (v === null) continue;
    slot.kptrs[f.index] = null;
    if (f.ref && v.ptr === 'task') taskPut(k, v.pid, 'kptr');
  }
}
