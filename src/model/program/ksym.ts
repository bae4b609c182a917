/**
 * Weak kfunc externs and `bpf_ksym_exists` (libbpf 1.1.2; kernel/bpf/verifier.c).
 *
 * A program tests whether the running kernel has a kfunc with `bpf_ksym_exists(f)` (the `ksym`
 * operand), which needs `f` declared `extern … __ksym __weak`: the address of a weak symbol is not a
 * constant the compiler may fold. Such a kfunc is weak for the whole object, and so is each one the
 * object's `weak` list names (a kfunc called only where another one's test passed): `weakKfuncs`. At
 * load:
 * - libbpf's `bpf_object__resolve_ksym_func_btf_id` leaves a weak kfunc the kernel's BTF lacks
 *   unresolved instead of failing the load (-ESRCH is ignored when `is_weak`);
 * - `bpf_ksym_exists(f)` is a 64-bit load of f's address: for a resolved kfunc a BTF id the verifier
 *   turns into a non-NULL read-only pointer (`__check_pseudo_btf_id`: PTR_TO_MEM | MEM_RDONLY, size 0),
 *   so the test is known true; unresolved, libbpf writes 0 (`RELO_EXTERN_VAR`'s typeless branch), known
 *   false. Either way the branch the program takes is known and the other one is never walked;
 * - a call to an unresolved weak kfunc is written with btf_id 0 (`RELO_EXTERN_FUNC`): the verifier
 *   skips it while walking (`check_kfunc_call` returns at once, `bpf_add_kfunc_call` accepts id 0 with
 *   offset 0) and fails the load afterwards if any path reached it ("invalid kernel function call not
 *   eliminated in verifier pass", -EINVAL, `fixup_kfunc_call`). A call no path reaches is removed as
 *   dead code.
 *
 * The loader is libbpf 1.1.2's, as the conformance tiers'. A name the kernel's BTF has with another
 * prototype (kfunc `keptInBtf`) fails the load there weak or not ("func_proto [N] incompatible with
 * kernel [M]"); libbpf's later `___flavor` series (the kernel selftests' `bpf_task_acquire___two`)
 * leaves such a weak extern unresolved as well and says "vmlinux" for "kernel". Not modelled.
 */
import type { Arg, BpfObject } from './program.ts';
import { argsOf } from './program.ts';
import { ArgumentError } from '../kernel/errors.ts';

/** The kfuncs `obj` declares `__weak`: its `weak` list, and those it tests with `bpf_ksym_exists` (its `ksym` operands). */
export function weakKfuncs(obj: Pick<BpfObject, 'programs' | 'subprogs' | 'weak'>): ReadonlySet<string> {
  const out = new Set<string>(obj.weak ?? []);
  for (const f of [...obj.programs, ...obj.subprogs]) {
    for (const op of f.body) {
      for (const a of argsOf(op) as readonly Arg[]) if ('ksym' in a) out.add(a.ksym);
    }
  }
  return out;
}

/**
 * `obj`'s weak kfuncs (`weakKfuncs`), each checked to name a kfunc of `kfuncs` (else an ArgumentError).
 */
export function checkWeak(obj: Pick<BpfObject, 'programs' | 'subprogs' | 'weak'>, kfuncs: Readonly<Record<string, { readonly kind: string }>>): ReadonlySet<string> {
  const weak = weakKfuncs(obj);
  for (const name of weak) {
    const def = Object.prototype.hasOwnProperty.call(kfuncs, name) ? kfuncs[name] : undefined;
    if (def === undefined || def.kind !== 'kfunc') throw new ArgumentError('weak', name, `a kfunc (a __ksym extern), for __weak and bpf_ksym_exists${def === undefined ? '' : `: ${name} is a helper`}`);
  }
  return weak;
}
