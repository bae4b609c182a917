/**
 * The number iterator (kernel/bpf/bpf_iter.c): `struct bpf_iter_num_kern { int cur; int end; }` kept
 * in the iterator's 8 stack bytes, so the interpreter's stack and the kfuncs agree byte for byte.
 */
import { E2BIG, EINVAL } from '../kernel/errno.ts';
import { ArgumentError } from '../kernel/errors.ts';
import { defineKfunc } from '../kfunc/kfunc.ts';
import { readLE, writeLE } from '../program/globals.ts';
import { BPF_MAX_LOOPS } from '../helpers/misc.ts';

function state(it: Uint8Array, arg: string): { cur: bigint; end: bigint } {
  if (it.length < 8) throw new ArgumentError(arg, it, 'the 8 bytes of a struct bpf_iter_num');
  return { cur: BigInt.asIntN(32, readLE(it, 0, 4)), end: BigInt.asIntN(32, readLE(it, 4, 4)) };
}

function set(it: Uint8Array, cur: bigint, end: bigint): void {
  writeLE(it, 0, 4, cur);
  writeLE(it, 4, 4, end);
}

export const bpf_iter_num_new = defineKfunc({
  name: 'bpf_iter_num_new',
  mirrors: 'kernel/bpf/bpf_iter.c: bpf_iter_num_new',
  kind: 'kfunc',
  since: '6.18',
  summary: 'Start an iterator over the ints [start, end).',
  args: [{ name: 'it', type: 'iter_uninit' }, { name: 'start', type: 'u32' }, { name: 'end', type: 'u32' }],
  ret: 'int',
  flags: ['KF_ITER_NEW'],
  checks: ['start > end (as int) → -EINVAL, an empty iterator', 'end - start > BPF_MAX_LOOPS → -E2BIG, an empty iterator'],
  effects: ['cur = start - 1, end = end: the first next() gives start'],
  confidence: 'H (source)',
  impl(_k, it, startU, endU) {
    state(it, 'it');
    const start = BigInt.asIntN(32, startU);
    const end = BigInt.asIntN(32, endU);
    if (start > end) {
      set(it, 0n, 0n);
      return -EINVAL;
    }
    if (end - start > BigInt(BPF_MAX_LOOPS)) {
      set(it, 0n, 0n);
      return -E2BIG;
    }
    set(it, start - 1n, end);
    return 0;
  },
});

export const bpf_iter_num_next = defineKfunc({
  name: 'bpf_iter_num_next',
  mirrors: 'kernel/bpf/bpf_iter.c: bpf_iter_num_next',
  kind: 'kfunc',
  since: '6.18',
  summary: 'The next int of the iterator (a pointer to it), or NULL when done.',
  args: [{ name: 'it', type: 'iter' }],
  ret: 'ptr',
  flags: ['KF_ITER_NEXT', 'KF_RET_NULL'],
  checks: ['cur + 1 >= end (as s64) → NULL, and the iterator is emptied'],
  effects: ['cur + 1; the result points at cur'],
  confidence: 'H (source)',
  impl(_k, it) {
    const s = state(it, 'it');
    if (s.cur + 1n >= s.end) {
      set(it, 0n, 0n);
      return null;
    }
    set(it, s.cur + 1n, s.end);
    return it.subarray(0, 4);
  },
});

export const bpf_iter_num_destroy = defineKfunc({
  name: 'bpf_iter_num_destroy',
  mirrors: 'kernel/bpf/bpf_iter.c: bpf_iter_num_destroy',
  kind: 'kfunc',
  since: '6.18',
  summary: 'End the iterator.',
  args: [{ name: 'it', type: 'iter' }],
  ret: 'void',
  flags: ['KF_ITER_DESTROY'],
  checks: [],
  effects: ['cur = end = 0'],
  confidence: 'H (source)',
  impl(_k, it) {
    state(it, 'it');
    set(it, 0n, 0n);
    return undefined;
  },
});
