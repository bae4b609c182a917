/** The BPF helpers about the current task and its user memory, registered under their kernel names. */
import { registerKfuncs } from '../kfunc/registry.ts';
import { bpf_get_current_pid_tgid, bpf_get_current_task_btf } from './current.ts';
import { bpf_get_current_comm, bpf_get_prandom_u32, bpf_get_smp_processor_id, bpf_ktime_get_ns, bpf_loop, bpf_probe_read_kernel, bpf_probe_read_kernel_str, bpf_strncmp, bpf_this_cpu_ptr } from './misc.ts';
import { bpf_strtol, bpf_strtoul } from './strtox.ts';
import { bpf_copy_from_user, bpf_copy_from_user_str, bpf_copy_from_user_task, bpf_copy_from_user_task_str, bpf_probe_read_user, bpf_probe_read_user_str } from './user.ts';

export const HELPER_KFUNCS = registerKfuncs({
  bpf_get_current_task_btf, bpf_get_current_pid_tgid, bpf_copy_from_user_str, bpf_copy_from_user, bpf_get_prandom_u32, bpf_get_smp_processor_id, bpf_ktime_get_ns,
  bpf_strncmp, bpf_probe_read_kernel, bpf_probe_read_kernel_str, bpf_probe_read_user, bpf_probe_read_user_str, bpf_copy_from_user_task, bpf_copy_from_user_task_str, bpf_get_current_comm, bpf_this_cpu_ptr, bpf_loop,
  bpf_strtol, bpf_strtoul,
});

type HelperKfuncs = typeof HELPER_KFUNCS;
declare module '../kfunc/registry.ts' {
  interface KfuncRegistry extends HelperKfuncs {}
}
