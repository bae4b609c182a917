/**
 * The verifier's rules for a map value's special fields (kernel/bpf/verifier.c `check_map_access`,
 * `check_map_kptr_access`, `btf_ld_kptr_type`, `map_kptr_match_type`, `process_kptr_func`), in the
 * kernel's order. The value's layout is maps/layout.ts's; what a kptr holds at run time is
 * src/model/kptr's.
 */
import { EINVAL } from '../kernel/errno.ts';
import { fieldsOverlapping, fieldTypeName, kptrAt, kptrField, mapLayout, type SpecialField } from '../maps/layout.ts';
import type { BpfObject } from '../program/program.ts';
import { regTypeStr } from './regtype.ts';
import { constOf, varConst } from './scalar.ts';
import { btfPointer } from './state.ts';
import { Reject, type AVal, type Checker } from './types.ts';

export type KptrField = Readonly<Extract<SpecialField, { kind: 'kptr' }>>;
type MapValue = Extract<AVal, { t: 'map_value' }>;

/**
 * `check_map_access`, after the bounds: an access of `size` bytes at `insnOff` from `base` that
 * touches a special field. A kptr may be touched only directly (not by a helper), at a constant
 * offset, exactly at its start and with 8 bytes; any other field not at all. Returns the kptr field
 * the access is of (`btf_record_find` at the constant offset), if any.
 */
export function checkMapFields(c: Checker, base: MapValue, insnOff: number, size: number, direct: boolean, insn: number): KptrField | undefined {
  const layout = mapLayout(c.obj.maps, base.map);
  if (layout === null || layout.fields.length === 0) return undefined;
  const vo = base.var;
  const konst = varConst(vo);
  const off = BigInt(base.off + insnOff);
  const lo = off + (vo === null ? 0n : vo.smin);
  const hi = off + (vo === null ? 0n : vo.umax) + BigInt(size);
  for (const f of fieldsOverlapping(layout, lo, hi)) {
    const name = fieldTypeName(f);
    if (f.kind !== 'kptr') throw new Reject(`${name} cannot be accessed directly by load/store`, insn);
    if (!direct) throw new Reject(`${name} cannot be accessed indirectly by helper`, insn);
    if (konst === null) throw new Reject(`${name} access cannot have variable offset`, insn);
    if (BigInt(f.off) !== off + konst) throw new Reject(`${name} access misaligned expected=${f.off} off=${BigInt.asUintN(64, off + konst)}`, insn);
    if (size !== 8) throw new Reject(`${name} access size must be BPF_DW`, insn);
  }
  return konst === null ? undefined : kptrAt(layout, Number(off + konst));
}

/**
 * `check_map_kptr_access` for a load (BPF_LDX): the register gets a pointer to the kptr's type, maybe
 * NULL (`btf_ld_kptr_type`): an RCU pointer where the kptr is referenced, of an RCU-protected type
 * (`rcu_protected_types`: struct task_struct among the model's) and the load is in an RCU critical
 * section (`in_rcu_cs`: a non-sleepable program, or inside bpf_rcu_read_lock); untrusted otherwise.
 * A BPF_ATOMIC access is refused first (only BPF_MEM accesses a kptr).
 */
export function kptrLoad(c: Checker, f: KptrField, inRcuCs: boolean, atomic: boolean, insn: number): AVal {
  if (atomic) throw new Reject('kptr in map can only be accessed using BPF_MEM instruction mode', insn);
  const id = c.newId();
  if (f.ref && f.struct === 'task_struct' && inRcuCs) return { t: 'task', ref: null, maybeNull: true, id, walked: 'rcu' };
  return { ...(btfPointer(f.struct, 'untrusted') as Extract<AVal, { t: 'btf' }>), maybeNull: true, id };
}

/**
 * `check_map_kptr_access` for a store: a referenced kptr is never stored to (only `bpf_kptr_xchg`
 * moves one); an untrusted one takes BPF_STX of NULL or of a pointer of its type
 * (`map_kptr_match_type`), BPF_ST of 0 only. `value` is the stored register (BPF_STX), or null with
 * `imm` (BPF_ST).
 */
export function kptrStore(f: KptrField, value: AVal | null, imm: bigint | null, valueRegno: number, atomic: boolean, insn: number): void {
  if (atomic) throw new Reject('kptr in map can only be accessed using BPF_MEM instruction mode', insn);
  if (f.ref) throw new Reject('store to referenced kptr disallowed', insn);
  if (value === null) {
    if ((imm ?? 0n) !== 0n) throw new Reject(`BPF_ST imm must be 0 when storing to kptr at off=${f.off}`, insn);
    return;
  }
  if (value.t === 'scalar' && constOf(value) === 0n) return;
  kptrMatch(f, value, valueRegno, insn);
}

/** The struct a BTF pointer points to, where the model knows it. */
function structOf(v: AVal): string | undefined {
  if (v.t === 'task') return 'task_struct';
  if (v.t === 'file') return 'file';
  if (v.t === 'btf') return v.struct;
  return undefined;
}

/**
 * `map_kptr_match_type`: a kernel BTF pointer of exactly the kptr's type, whose flags are among
 * PTR_MAYBE_NULL, PTR_TRUSTED and MEM_RCU (and PTR_UNTRUSTED for an untrusted kptr). Anything else is
 * "invalid kptr access, R%d type=… expected=ptr_<type>" (and "or untrusted_ptr_<type>" for an
 * untrusted kptr).
 */
export function kptrMatch(f: KptrField, v: AVal, regno: number, insn: number): void {
  const struct = structOf(v);
  const isBtf = v.t === 'task' || v.t === 'file' || v.t === 'btf';
  const untrustedOk = !f.ref;
  const flagsOk = !(v.t === 'btf' && !v.trusted && !untrustedOk);
  if (isBtf && flagsOk && struct === f.struct) return;
  const got = `${regTypeStr(v)}${isBtf && struct !== undefined ? struct : ''}`;
  const expected = `ptr_${f.struct}${f.ref ? '' : ` or untrusted_ptr_${f.struct}`}`;
  throw new Reject(`invalid kptr access, R${regno} type=${got} expected=${expected}`, insn, [], -EINVAL);
}

/**
 * bpf_kptr_xchg's destination: `check_reg_type` (`kptr_xchg_dest_types`: a map value, or a local
 * object's kptr, which the model has none of), then `process_kptr_func`: of a map made with BTF, at a
 * constant offset, of a value that has kptrs, at the start of a referenced one.
 */
export function kptrDest(c: Checker, v: AVal, regno: number, insn: number): KptrField {
  if (v.t !== 'map_value' || v.maybeNull) throw new Reject(`R${regno} type=${regTypeStr(v)} expected=map_value, ptr_, ptr_, rcu_ptr_`, insn);
  // A map made without BTF has no record of fields to look in.
  if (c.btf.mapsWithout.has(v.map)) throw new Reject(c.m.mapNeedsBtf(v.map, 'bpf_kptr_xchg'), insn, [], -EINVAL);
  const layout = mapLayout(c.obj.maps, v.map);
  const konst = varConst(v.var);
  if (konst === null) throw new Reject(`R${regno} doesn't have constant offset. kptr has to be at the constant offset`, insn, [], -EINVAL);
  if (layout === null || !layout.fields.some((x) => x.kind === 'kptr')) throw new Reject(`R${regno} has no valid kptr`, insn, [], -EINVAL);
  const off = Number(BigInt(v.off) + konst);
  const f = kptrAt(layout, off);
  if (f === undefined) throw new Reject(`off=${off} doesn't point to kptr`, insn);
  if (!f.ref) throw new Reject(`off=${off} kptr isn't referenced kptr`, insn);
  return f;
}

/** The offset of kptr field `name` in map `map`'s values, or null when it has none of that name. */
export function kptrOffset(obj: BpfObject, map: string, name: string): number | null {
  const layout = mapLayout(obj.maps, map);
  return layout === null ? null : kptrField(layout, name)?.off ?? null;
}
