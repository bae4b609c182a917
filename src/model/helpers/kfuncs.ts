/** The BPF helpers about the current task and its user memory, registered under their kernel names. */
import { registerKfuncs } from '../kfunc/registry.ts';
import { bpf_get_current_pid_tgid, bpf_get_current_task_btf } from './current.ts';
import { bpf_copy_from_user_str } from './user.ts';

export const HELPER_KFUNCS = registerKfuncs({ bpf_get_current_task_btf, bpf_get_current_pid_tgid, bpf_copy_from_user_str });

type HelperKfuncs = typeof HELPER_KFUNCS;
declare module '../kfunc/registry.ts' {
  interface KfuncRegistry extends HelperKfuncs {}
}
