/**
 * A kfunc's documentation page, generated from its definition (the same data the model runs): the C
 * prototype on each modelled kernel version, the checks in the kernel's order, the program types, the
 * effects, and an example whose outcome the model computes when the page is generated. It is what
 * `kernsim explain` prints and what docs/kfuncs/*.md hold.
 */
import type { AnyKfunc, ArgSpec, RetType } from '../model/kfunc/kfunc.ts';
import { availableIn } from '../model/kfunc/kfunc.ts';
import { C_ARG, C_RET } from '../model/program/render.ts';
import { KERNEL_VERSIONS, type KernelVersion, type VersionFeatures } from '../model/kernel/version.ts';
import { kfuncExample, runKfuncExample } from './kfunc_examples.ts';
import { scenarioMarkdown } from './markdown.ts';

const ARG_C: Record<string, string> = {
  u8: 'u8', u32: 'u32', u64: 'u64', dsize: 'u64 (u32 on 6.18)', dynptr: 'struct bpf_dynptr *', dynptr_uninit: 'struct bpf_dynptr * (uninitialized)',
  mem: 'void *', mem_or_null: 'void * (may be NULL with length 0)', file: 'struct file *', task: 'struct task_struct *',
  map: 'struct bpf_map *', tw: 'struct bpf_task_work *', callback: 'static callback int (*)(map, key, value)', aux: 'void * (pass NULL)',
  skb: 'struct __sk_buff * (a packet context of kind skb)', xdp_md: 'struct xdp_md * (a packet context of kind xdp)',
  const_str: 'const char * (a NUL-terminated string in .rodata)',
  u64s: '__u64 * (may be NULL with length 0; each value a number, or a pointer the program stored)',
};

/** The C type of an argument on a version: as the BPF C of `renderC` declares it, with the version's dynptr width; `cType` where the kernel's declaration differs from what the model takes. */
function argType(a: ArgSpec, f: VersionFeatures): string {
  if (a.cType !== undefined) return a.cType;
  if (a.type === 'dsize') return f.dynptrBits === 64 ? '__u64' : '__u32';
  return C_ARG[a.type];
}

function retType(def: AnyKfunc, r: RetType, f: VersionFeatures): string {
  if (r === 'int') return def.kind === 'helper' ? 'long' : 'int';
  if (r === 'dsize') return f.dynptrBits === 64 ? '__u64' : '__u32';
  return C_RET[r];
}

/** The C prototype of `def` on `version`, or null when that version does not have it. */
export function cPrototype(def: AnyKfunc, version: KernelVersion): string | null {
  if (!availableIn(def, version)) return null;
  const f = KERNEL_VERSIONS[version];
  const ret = retType(def, def.ret, f);
  const params = def.args.map((a) => {
    const t = argType(a, f);
    return `${t}${t.endsWith('*') ? '' : ' '}${a.name}`;
  });
  return `${ret}${ret.endsWith('*') ? '' : ' '}${def.name}(${params.length === 0 ? 'void' : params.join(', ')});`;
}

/** The prototypes on the modelled versions, versions with the same prototype together. */
export function cPrototypes(def: AnyKfunc): { versions: KernelVersion[]; prototype: string }[] {
  const out: { versions: KernelVersion[]; prototype: string }[] = [];
  for (const v of Object.keys(KERNEL_VERSIONS) as KernelVersion[]) {
    const p = cPrototype(def, v);
    if (p === null) continue;
    const same = out.find((o) => o.prototype === p);
    if (same !== undefined) same.versions.push(v);
    else out.push({ versions: [v], prototype: p });
  }
  return out;
}

function versions(def: AnyKfunc): string {
  const have = (Object.keys(KERNEL_VERSIONS) as KernelVersion[]).filter((v) => availableIn(def, v));
  return have.length === 0 ? 'none of the modelled versions' : have.join(', ');
}

function progTypes(def: AnyKfunc): string {
  // A kfunc registered for TRACING is in the hook LSM, PERF_EVENT, TRACEPOINT and (from 7.0) RAW_TRACEPOINT share (kfunc/hooks.ts).
  const shared = (types: readonly string[]): string => {
    if (def.kind !== 'kfunc') return '';
    const hooks = [
      ...(types.includes('TRACING') ? ['TRACING\'s kfunc hook: also LSM, PERF_EVENT, TRACEPOINT, and RAW_TRACEPOINT from 7.0'] : []),
      ...(types.includes('CGROUP_SKB') ? ['the cgroup hook: also every other CGROUP_ type and SOCK_OPS'] : []),
    ];
    return hooks.length === 0 ? '' : ` (${hooks.join('; ')})`;
  };
  if (def.kernelProgTypes !== undefined) return `${def.kernelProgTypes.join(', ')} only${shared(def.kernelProgTypes)}`;
  if (def.progTypes === undefined) return 'any program type';
  return `${def.progTypes.join(', ')} only`;
}

/** The example section: the kfunc's example scenario, run now; what the model computed. */
function exampleSection(def: AnyKfunc): string[] {
  const ex = kfuncExample(def.name);
  if (ex === undefined) return ['(no example)'];
  const run = runKfuncExample(ex);
  return [
    'kind' in ex
      ? 'Computed when the page was generated, by these calls made directly on a `Session` (checked as a scenario\'s expectations, shown by `scenarioMarkdown`);'
      : 'Computed by running this scenario when the page was generated (`scenarioMarkdown(runScenario(…))`);',
    'the expected values are the kernel\'s rules above.',
    '',
    scenarioMarkdown(run, { headingLevel: 0, calls: [def.name] }).trimEnd(),
  ];
}

/** One kfunc's page as Markdown. */
export function kfuncMarkdown(def: AnyKfunc): string {
  const sig = `${def.name}(${def.args.map((a) => a.name).join(', ')})`;
  return [
    `# \`${def.name}\``,
    '',
    def.summary,
    '',
    `- Kind: ${def.kind === 'kfunc' ? 'kfunc' : 'BPF helper'}${def.flags.length > 0 ? ` (${def.flags.join(', ')})` : ''}`,
    `- Mirrors: ${def.mirrors}`,
    `- Modelled in: Linux ${versions(def)}`,
    ...(def.keptInBtf === true && def.until !== undefined ? [`- From ${def.until} on: the kernel's BTF keeps the name with another prototype (the function the new name calls), so libbpf refuses an extern of it, \`__weak\` or not: -EINVAL, "func_proto [N] incompatible with kernel [M]"`] : []),
    `- Program types: ${progTypes(def)}`,
    `- Confidence: ${def.confidence}`,
    '',
    '## C prototype',
    '',
    ...cPrototypes(def).flatMap((p) => [`Linux ${p.versions.join(', ')}:`, '', '```c', p.prototype, '```', '']),
    'Types as the BPF C that kernsim renders declares them (`renderC`), with each version\'s dynptr width (u32 offsets and sizes on 6.18, u64 from 6.19 on).',
    '',
    '## Arguments',
    '',
    `\`${sig}\``,
    '',
    // A signed integer the model takes as unsigned (`s32 pid`, `int delta`) is shown as the kernel declares it.
    ...def.args.map((a) => `- \`${a.name}\`: ${a.cType !== undefined && !a.cType.endsWith('*') ? a.cType : ARG_C[a.type] ?? a.type}${a.out === true ? ', written' : ''}${a.fixedSize === undefined ? '' : `, ${a.fixedSize} bytes${a.aligned === true ? ` aligned to ${a.fixedSize}` : ''}`}`),
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
    `Returns: ${def.returns !== undefined ? def.returns : def.ret === 'int' ? '0 or a negative errno' : def.ret === 'long' ? 'a signed number (not an errno)' : def.ret}.`,
    '',
    '## Example',
    '',
    ...exampleSection(def),
    '',
  ].join('\n');
}
