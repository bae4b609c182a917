/** `bpf_kptr_xchg`, the helper that moves a reference into and out of a kptr field (README.md). */
import { defineKfunc } from '../kfunc/kfunc.ts';
import { registerKfuncs } from '../kfunc/registry.ts';
import { mapOf } from '../maps/maps.ts';
import { UnknownHandleError } from '../kernel/errors.ts';
import { kptrSwap } from './fields.ts';

export const bpf_kptr_xchg = defineKfunc({
  name: 'bpf_kptr_xchg',
  mirrors: 'kernel/bpf/helpers.c: bpf_kptr_xchg; kernel/bpf/verifier.c: process_kptr_func, map_kptr_match_type',
  kind: 'helper',
  since: '6.18', // in the kernel since 5.19; 6.18 is the oldest version modelled
  summary: 'Put `ptr` into the referenced kptr field `dst` of a map value and return what it held (`xchg`).',
  args: [
    { name: 'dst', type: 'kptr', cType: 'void *' },
    { name: 'ptr', type: 'task_or_null', cType: 'void *' },
  ],
  ret: 'task',
  // ptr is released (OBJ_RELEASE); the result is a reference (is_acquire_function), maybe NULL.
  flags: ['OBJ_RELEASE', 'ACQUIRE', 'RET_NULL'],
  checks: [
    'dst is not a map value at the constant offset of a referenced kptr field → the verifier refuses the program (map \'m\' has to have BTF in order to use bpf_kptr_xchg, when the map was made without BTF; R1 has no valid kptr; off=N doesn\'t point to kptr; off=N kptr isn\'t referenced kptr)',
    'ptr is not NULL and not a referenced pointer of the field\'s type → the verifier refuses the program (invalid kptr access; release helper bpf_kptr_xchg expects referenced PTR_TO_BTF_ID passed to R2)',
    'the pointer returned is a reference the program must release (or put back) → the verifier refuses a program that keeps it past its end',
  ],
  effects: [
    'the field holds ptr: its reference moves into the map value (the program no longer holds it)',
    'the old content is returned with its reference, or NULL',
    'the map keeps the reference until a program takes it out, or the element\'s fields are freed (a delete or update before 7.2; on 7.2 only the map\'s end)',
  ],
  confidence: 'H (source: 7.2.13; the host and guest tiers)',
  impl(k, dst, ptr) {
    const slot = mapOf(k, dst.map, 'dst').slots.get(dst.slot);
    if (slot === undefined) throw new UnknownHandleError('dst', dst.slot, 'element memory');
    const old = kptrSwap(slot, dst.field, ptr === null ? null : { ptr: 'task', pid: ptr });
    return old !== null && old.ptr === 'task' ? old.pid : null;
  },
});

export const KPTR_KFUNCS = registerKfuncs({ bpf_kptr_xchg });

type KptrKfuncs = typeof KPTR_KFUNCS;
declare module '../kfunc/registry.ts' {
  interface KfuncRegistry extends KptrKfuncs {}
}
