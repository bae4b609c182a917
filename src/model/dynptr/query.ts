/** The dynptr queries: size, is_null, is_rdonly (kernel/bpf/helpers.c). */
import { errnoAsUnsigned } from '../kernel/ctypes.ts';
import { EINVAL } from '../kernel/errno.ts';
import { defineKfunc } from '../kfunc/kfunc.ts';
import { dynptrAt, dynptrRdonly, dynptrSize } from './core.ts';

/** `bpf_dynptr_size`: the size, in the version's width (u64 from 6.19, u32 before). */
export const bpf_dynptr_size = defineKfunc({
  name: 'bpf_dynptr_size',
  mirrors: 'kernel/bpf/helpers.c: bpf_dynptr_size, __bpf_dynptr_size',
  kind: 'kfunc',
  since: '6.18',
  summary: 'The number of bytes the dynptr covers.',
  args: [{ name: 'p', type: 'dynptr' }],
  ret: 'dsize',
  flags: [],
  checks: ['p null → -EINVAL converted to the unsigned return type (u64: 0xffffffffffffffea; u32 on 6.18: 4294967274)'],
  effects: ['none; a fresh FILE dynptr reports U64_MAX'],
  confidence: 'H (source); u64 from 6.19: the file-dynptr series widened bpf_dynptr_size to __u64 (M for 6.19 itself; the 7.2 guest tier agrees)',
  impl(k, p) {
    const d = dynptrAt(k, p, 'p');
    const bits = k.features.dynptrBits;
    if (d.kind === 'null') return errnoAsUnsigned(-EINVAL, bits);
    return BigInt.asUintN(bits, dynptrSize(k, d, 'p'));
  },
});

/** `bpf_dynptr_is_null`: `data == NULL`. */
export const bpf_dynptr_is_null = defineKfunc({
  name: 'bpf_dynptr_is_null',
  mirrors: 'kernel/bpf/helpers.c: bpf_dynptr_is_null',
  kind: 'kfunc',
  since: '6.18',
  summary: 'Whether the dynptr is null (a failed constructor, a discard, a failed clone).',
  args: [{ name: 'p', type: 'dynptr' }],
  ret: 'bool',
  flags: [],
  checks: [],
  effects: ['none'],
  confidence: 'H (source)',
  impl(k, p) {
    return dynptrAt(k, p, 'p').kind === 'null';
  },
});

/** `bpf_dynptr_is_rdonly`: the read-only bit; false for a null dynptr. */
export const bpf_dynptr_is_rdonly = defineKfunc({
  name: 'bpf_dynptr_is_rdonly',
  mirrors: 'kernel/bpf/helpers.c: bpf_dynptr_is_rdonly, __bpf_dynptr_is_rdonly',
  kind: 'kfunc',
  since: '6.18',
  summary: 'Whether the dynptr is read-only (always for FILE; SKB and SKB_META when the program type cannot write packets).',
  args: [{ name: 'p', type: 'dynptr' }],
  ret: 'bool',
  flags: [],
  checks: ['p null → false'],
  effects: ['none'],
  confidence: 'H (source)',
  impl(k, p) {
    return dynptrRdonly(dynptrAt(k, p, 'p'));
  },
});
