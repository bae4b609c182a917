/**
 * The layout of a map value, as the C the model renders declares it (program/render.ts) and the
 * kernel's BTF record of it describes (kernel/bpf/btf.c `btf_parse_fields`):
 *
 *     struct <map>_value {
 *         char data[valueSize];                    // plain bytes
 *         struct bpf_task_work tw;                 // taskWorkFields of them (8 bytes, 8-aligned)
 *         struct task_struct __kptr *task;         // one per kptr field (8 bytes)
 *     };
 *
 * The special fields follow the data at the next multiple of 8, so the bytes between are padding a
 * program may use like data. `size` is the map's `value_size` (the verifier's bound for a value
 * pointer); `dataEnd` is where the first special field starts (the plain bytes the element memory
 * holds). A value without special fields is its data alone.
 */
import type { StructName } from '../btf/structs.ts';

/**
 * A special field of a map value (`struct btf_field`): what it is, where, and for a kptr its type.
 * (Plain data a map record holds; a world never changes it.)
 */
export type SpecialField =
  | { kind: 'task_work'; off: number; size: 8 }
  | {
    kind: 'kptr'; off: number; size: 8;
    /** Its name in the value struct, and its index among the value's kptrs (the element memory's `kptrs`). */
    name: string; index: number;
    struct: StructName;
    /** `__kptr` (BPF_KPTR_REF, holds a reference) or `__kptr_untrusted` (BPF_KPTR_UNREF). */
    ref: boolean;
  };

export interface ValueLayout {
  /** `value_size`. */
  size: number;
  /** The plain bytes: `[0, dataEnd)`. */
  dataEnd: number;
  /** Special fields by offset. */
  fields: SpecialField[];
}

/** A layout as a world holds it (read-only). */
export interface LayoutView {
  readonly size: number;
  readonly dataEnd: number;
  readonly fields: readonly Readonly<SpecialField>[];
}

/** What a layout is made from: a map declaration, or a map created from one. */
export interface LayoutDecl {
  readonly valueSize: number;
  readonly taskWorkFields: number;
  readonly kptrs?: readonly { readonly name: string; readonly type: StructName; readonly untrusted?: boolean }[];
}

/** The layout of a value declared by `decl`. */
export function valueLayout(decl: LayoutDecl): ValueLayout {
  const kptrs = decl.kptrs ?? [];
  if (decl.taskWorkFields === 0 && kptrs.length === 0) return { size: decl.valueSize, dataEnd: decl.valueSize, fields: [] };
  const dataEnd = Math.ceil(decl.valueSize / 8) * 8;
  const fields: SpecialField[] = [];
  let off = dataEnd;
  for (let i = 0; i < decl.taskWorkFields; i += 1, off += 8) fields.push({ kind: 'task_work', off, size: 8 });
  kptrs.forEach((k, index) => {
    fields.push({ kind: 'kptr', off, size: 8, name: k.name, index, struct: k.type, ref: k.untrusted !== true });
    off += 8;
  });
  return { size: off, dataEnd, fields };
}

/** A map declaration's `key_size`: as declared, else 4, or 0 for the types without keys (a ring buffer, a queue, a stack, a bloom filter). */
export function declKeySize(decl: { readonly type: string; readonly keySize?: number }): number {
  return decl.keySize ?? (decl.type === 'ringbuf' || decl.type === 'queue' || decl.type === 'stack' || decl.type === 'bloom_filter' ? 0 : 4);
}

/** `round_up(value_size, 8)`: the memory a value takes in a map (an array's `elem_size`, a per-CPU copy). */
export function elemSize(l: { readonly size: number }): number {
  return Math.ceil(l.size / 8) * 8;
}

/**
 * The layout of the values of map `name` among an object's map declarations, or null when it has no
 * such map (a global's section map, `.bss` or `.data`, holds plain bytes).
 */
export function mapLayout(maps: readonly (LayoutDecl & { readonly name: string })[], name: string): ValueLayout | null {
  const decl = maps.find((m) => m.name === name);
  return decl === undefined ? null : valueLayout(decl);
}

/** The special fields `[lo, hi)` overlaps (an access's bytes), in offset order. */
export function fieldsOverlapping(l: LayoutView, lo: bigint, hi: bigint): readonly Readonly<SpecialField>[] {
  return l.fields.filter((f) => lo < BigInt(f.off + f.size) && BigInt(f.off) < hi);
}

/** The kptr field named `name`, if the value has one. */
export function kptrField(l: LayoutView, name: string): Readonly<Extract<SpecialField, { kind: 'kptr' }>> | undefined {
  for (const f of l.fields) if (f.kind === 'kptr' && f.name === name) return f;
  return undefined;
}

/** The kptr field starting at `off`, if one does (`btf_record_find(rec, off, BPF_KPTR)`). */
export function kptrAt(l: LayoutView, off: number): Readonly<Extract<SpecialField, { kind: 'kptr' }>> | undefined {
  for (const f of l.fields) if (f.kind === 'kptr' && f.off === off) return f;
  return undefined;
}

/** `btf_field_type_name`: how the verifier's messages name a field. */
export function fieldTypeName(f: Readonly<SpecialField>): string {
  return f.kind === 'task_work' ? 'bpf_task_work' : 'kptr';
}
