/**
 * The dynptr kfuncs and helpers (kernel/bpf/helpers.c, kernel/trace/bpf_trace.c), registered under
 * their kernel names. Each kind's constructors and releases register from their own folder
 * (ringbuf/, skb/, xdp/: src/model/kfuncs.ts loads them after this table).
 */
import { registerKfuncs } from '../kfunc/registry.ts';
import { bpf_dynptr_adjust } from './adjust.ts';
import { bpf_dynptr_clone } from './clone.ts';
import { bpf_dynptr_copy } from './copy.ts';
import { bpf_dynptr_file_discard } from './file/discard.ts';
import { bpf_dynptr_from_file } from './file/from_file.ts';
import { bpf_dynptr_from_mem } from './local/from_mem.ts';
import { bpf_dynptr_memset } from './memset.ts';
import {
  bpf_copy_from_user_dynptr, bpf_copy_from_user_str_dynptr, bpf_copy_from_user_task_dynptr, bpf_copy_from_user_task_str_dynptr,
  bpf_probe_read_kernel_dynptr, bpf_probe_read_kernel_str_dynptr, bpf_probe_read_user_dynptr, bpf_probe_read_user_str_dynptr,
} from './probe_read.ts';
import { bpf_dynptr_is_null, bpf_dynptr_is_rdonly, bpf_dynptr_size } from './query.ts';
import { bpf_dynptr_read } from './read.ts';
import { bpf_dynptr_data, bpf_dynptr_slice, bpf_dynptr_slice_rdwr } from './slice.ts';
import { bpf_dynptr_write } from './write.ts';

export const DYNPTR_KFUNCS = registerKfuncs({
  bpf_dynptr_from_mem,
  bpf_dynptr_from_file,
  bpf_dynptr_read,
  bpf_dynptr_write,
  bpf_dynptr_adjust,
  bpf_dynptr_size,
  bpf_dynptr_is_null,
  bpf_dynptr_is_rdonly,
  bpf_dynptr_clone,
  bpf_dynptr_slice,
  bpf_dynptr_slice_rdwr,
  bpf_dynptr_data,
  bpf_dynptr_file_discard,
  bpf_dynptr_memset,
  bpf_dynptr_copy,
  bpf_probe_read_user_dynptr,
  bpf_probe_read_kernel_dynptr,
  bpf_probe_read_user_str_dynptr,
  bpf_probe_read_kernel_str_dynptr,
  bpf_copy_from_user_dynptr,
  bpf_copy_from_user_str_dynptr,
  bpf_copy_from_user_task_dynptr,
  bpf_copy_from_user_task_str_dynptr,
});

type DynptrKfuncs = typeof DYNPTR_KFUNCS;
declare module '../kfunc/registry.ts' {
  interface KfuncRegistry extends DynptrKfuncs {}
}
