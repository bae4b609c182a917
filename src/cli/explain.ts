/**
 * `kernsim explain KFUNC`: the rule as the model states it, generated from the kfunc table (the same
 * definitions the model runs), never typed twice. Also the source of docs/kfuncs/*.md.
 */
import type { AnyKfunc } from '../model/kfunc/kfunc.ts';
import { FILE_DYNPTR_PROG_TYPES } from '../model/program/prog_types.ts';
import { KERNEL_VERSIONS, type KernelVersion } from '../model/kernel/version.ts';
import { availableIn } from '../model/kfunc/kfunc.ts';

const ARG_C: Record<string, string> = {
  u8: 'u8', u32: 'u32', u64: 'u64', dsize: 'u64 (u32 on 6.18)', dynptr: 'struct bpf_dynptr *', dynptr_uninit: 'struct bpf_dynptr * (uninitialized)',
  mem: 'void *', mem_or_null: 'void * (may be NULL with length 0)', file: 'struct file *', task: 'struct task_struct *',
  map: 'struct bpf_map *', tw: 'struct bpf_task_work *', callback: 'static callback int (*)(map, key, value)', aux: 'void * (pass NULL)',
  skb: 'struct __sk_buff * (a packet context of kind skb)', xdp_md: 'struct xdp_md * (a packet context of kind xdp)',
};

function versions(def: AnyKfunc): string {
  const have = (Object.keys(KERNEL_VERSIONS) as KernelVersion[]).filter((v) => availableIn(def, v));
  return have.length === 0 ? 'none of the modelled versions' : have.join(', ');
}

function progTypes(def: AnyKfunc): string {
  if (def.kernelProgTypes !== undefined) return `${def.kernelProgTypes.join(', ')} only`;
  if (def.progTypes === undefined) return 'any program type';
  if (def.name.startsWith('bpf_dynptr_') && def.progTypes.length > 1) {
    return FILE_DYNPTR_PROG_TYPES.map((r) => `${r.type}${r.since === null ? '' : ` (${r.since})`}`).join(', ');
  }
  return `${def.progTypes.join(', ')} only`;
}

/** The explanation of one kfunc as Markdown. */
export function explainMarkdown(def: AnyKfunc): string {
  const sig = `${def.name}(${def.args.map((a) => a.name).join(', ')})`;
  return [
    `# \`${def.name}\``,
    '',
    def.summary,
    '',
    `- Kind: ${def.kind === 'kfunc' ? 'kfunc' : 'BPF helper'}${def.flags.length > 0 ? ` (${def.flags.join(', ')})` : ''}`,
    `- Mirrors: ${def.mirrors}`,
    `- Modelled in: Linux ${versions(def)}`,
    `- Program types: ${progTypes(def)}`,
    `- Confidence: ${def.confidence}`,
    '',
    '## Arguments',
    '',
    `\`${sig}\``,
    '',
    ...def.args.map((a) => `- \`${a.name}\`: ${ARG_C[a.type] ?? a.type}${a.out === true ? ', written' : ''}`),
    ...(def.args.length === 0 ? ['(none)'] : []),
    '',
    '## Checks, in the kernel\'s order',
    '',
    ...(def.checks.length === 0 ? ['(none)'] : def.checks.map((c, i) => `${i + 1}. ${c}`)),
    '',
    '## Effects',
    '',
    ...def.effects.map((e) => `- ${e}`),
    '',
    `Returns: ${def.ret === 'int' ? '0 or a negative errno' : def.ret}.`,
    '',
  ].join('\n');
}

/** The same, as plain text for a terminal. */
export function explainText(def: AnyKfunc): string {
  return explainMarkdown(def).replace(/^# /gm, '').replace(/^## /gm, '').replace(/`/g, '');
}
