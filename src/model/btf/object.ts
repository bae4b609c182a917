/**
 * The BTF an object carries to the kernel, and what the kernel makes of it when libbpf loads it.
 *
 * - **Which maps carry BTF.** `renderC` (program/render.ts) declares a map's key and value with
 *   `__type` for every type but a ring buffer (no key, no value), a queue, a stack and a bloom filter
 *   (sizes only): libbpf passes BTF ids for those (`mapHasBtf`).
 * - **The object's BTF.** libbpf 1.1's `bpf_object__load` loads the object's BTF (`.BTF`) after its
 *   externs and before its maps (`bpf_object__sanitize_and_load_btf`). The kernel parses it at
 *   BPF_BTF_LOAD (kernel/bpf/btf.c `btf_parse` → `btf_parse_struct_metas`): every struct with a kptr
 *   member has its fields parsed, and a referenced kptr (`__kptr`) needs a destructor kfunc for its
 *   type (`btf_parse_kptr` → `btf_find_dtor_kfunc`), which among the model's structures only `struct
 *   task_struct` has (`bpf_task_release_dtor`, `hasDestructor`): a referenced kptr of `struct file` or
 *   `struct inode` fails the whole BTF with -ENOENT (`objectBtfRefusal`). libbpf then prints "Error
 *   loading .BTF into kernel: -2. BTF is optional, ignoring." and loads the object without BTF
 *   (`kernel_needs_btf` is true only for struct_ops, which the model has not).
 * - **An object without BTF** (`withoutBtf`, `ObjectBtf`): every map is made without BTF
 *   (`bpf_object__create_map` passes no btf_fd), so special fields are plain bytes of the value and a
 *   local storage map is refused (-EINVAL); and the programs are loaded without func_info
 *   (`bpf_object_load_prog` passes it only with the BTF's fd), so the verifier sees every function as
 *   static (verifier.c `bpf_subprog_is_global` reads the linkage from func_info) and refuses a
 *   callback's address ("missing btf func_info", `check_ld_imm`).
 */
import type { BpfObject, MapDecl } from '../program/program.ts';
import { E2BIG, ENOENT } from '../kernel/errno.ts';
import { valueLayout } from '../maps/layout.ts';
import { mapCheckBtf } from '../maps/alloc_check.ts';
import type { StructName } from './structs.ts';

/** Whether `renderC` declares a map of this type with BTF for its key and value (`__type`). */
export function mapHasBtf(type: MapDecl['type']): boolean {
  return type !== 'ringbuf' && type !== 'queue' && type !== 'stack' && type !== 'bloom_filter';
}

/**
 * Whether the kernel has a destructor kfunc for a referenced kptr of `struct` (`btf_find_dtor_kfunc`
 * over the kfuncs registered with `register_btf_id_dtor_kfuncs`): `struct task_struct`
 * (kernel/bpf/helpers.c `bpf_task_release_dtor`); not `struct file` nor `struct inode`.
 */
export function hasDestructor(struct: StructName): boolean {
  return struct === 'task_struct';
}

/** Why the kernel refused an object's BTF at BPF_BTF_LOAD. */
export interface BtfRefusal {
  /** The negative errno of BPF_BTF_LOAD. */
  readonly errno: number;
  /** The map whose value type holds the field, and the field. */
  readonly map: string;
  readonly field: string;
  readonly struct: StructName;
}

/**
 * What BPF_BTF_LOAD of `obj`'s BTF returns: null when the kernel takes it, else the first referenced
 * kptr without a destructor among the value types `renderC` writes (the maps of `mapHasBtf` types, in
 * declaration order), -ENOENT.
 */
export function objectBtfRefusal(obj: Pick<BpfObject, 'maps'>): BtfRefusal | null {
  for (const m of obj.maps) {
    if (!mapHasBtf(m.type)) continue;
    const p = (m.kptrs ?? []).find((x) => x.untrusted !== true && !hasDestructor(x.type));
    if (p !== undefined) return { errno: -ENOENT, map: m.name, field: p.name, struct: p.type };
  }
  return null;
}

/** What the trace says of a refused BTF: the field, and what libbpf does next. */
export function btfRefusalText(r: BtfRefusal): string {
  return `struct ${r.struct} __kptr *${r.field} of map ${r.map}'s value has no destructor (btf_parse_kptr); libbpf loads the object without BTF`;
}

/**
 * A map declaration as made without BTF (libbpf's second try at a refused map, or every map of an
 * object whose BTF the kernel refused): the value is `value_size` plain bytes, its special fields'
 * too (maps/layout.ts), and the kernel sees no fields.
 */
export function withoutBtf(decl: MapDecl): MapDecl {
  const { kptrs: _kptrs, ...rest } = decl;
  return { ...rest, valueSize: valueLayout(decl).size, taskWorkFields: 0 };
}

/**
 * A map value's fields as BPF_MAP_CREATE records them (kernel/bpf/syscall.c `map_check_btf` →
 * btf.c `btf_parse_fields`): as declared, unless they fail to parse. Two `bpf_task_work`s do (the
 * field is a singleton: `btf_find_field` returns -E2BIG), and `map_check_btf` then keeps the error as
 * the record and checks nothing: the map is made, with BTF, and has no fields at all (its kptrs
 * neither); a program finds "no valid bpf_task_work" in it. Such a value is plain bytes (`withoutBtf`'s
 * shape), though the map has BTF.
 */
export function parsedFields(decl: MapDecl): MapDecl {
  return decl.taskWorkFields > 1 ? withoutBtf(decl) : decl;
}

/**
 * What `map->record` of map `declared` holds once BPF_MAP_CREATE made it (`withBtf`: made with BTF):
 * null for a record (its value has a special field); 0 for NULL (no special field, or no BTF:
 * kernel/bpf/btf.c `btf_parse_fields` returns NULL, and a map without BTF keeps the NULL it started
 * with); a negative errno for the error pointer of fields that failed to parse (two `bpf_task_work`s:
 * -E2BIG), which syscall.c `map_check_btf` stores as it is (`parsedFields`).
 */
export function recordError(declared: MapDecl, withBtf: boolean): number | null {
  if (!withBtf) return 0;
  if (declared.taskWorkFields > 1) return -E2BIG;
  return declared.taskWorkFields === 1 || (declared.kptrs?.length ?? 0) > 0 ? null : 0;
}

/** `offsetof(struct btf_record, wq_off)` (include/linux/bpf.h, 7.2.13; the same fields before it in 6.18). */
const WQ_OFF_OFFSET = 0x14;

/**
 * Why a kernel oopses at a `map__map` argument of a map without a record (`recordError` not null),
 * after a `bpf_task_work` argument (kernel/bpf/verifier.c `check_kfunc_args`, KF_ARG_PTR_TO_MAP, 6.18
 * and 7.2.13 alike): it reads `reg->map_ptr->record->wq_off` to decide whether to compare the two
 * maps, without a NULL or error check. The address is the field's offset from NULL or from the error
 * pointer.
 */
export function noRecordText(map: string, arg: number, err: number): string {
  const addr = (WQ_OFF_OFFSET + err).toString(16).padStart(16, '0');
  const what = err === 0 ? 'a NULL record (no special field in its value, or no BTF)' : `the error pointer ${err} as its record (its fields failed to parse)`;
  return `map '${map}' (arg#${arg}) has ${what}: the verifier reads record->wq_off unchecked, a kernel NULL pointer dereference at address ${addr}`;
}

/**
 * What of an object's BTF the kernel has, as the verifier needs it: whether the programs come with
 * func_info (the object's BTF loaded), and the maps made without BTF.
 */
export interface ObjectBtf {
  readonly funcInfo: boolean;
  readonly mapsWithout: ReadonlySet<string>;
}

/**
 * `obj` as the kernel gets it when libbpf loads it, before any map is made: with its BTF refused,
 * every map without BTF and no func_info; otherwise as declared (a map libbpf makes again without
 * BTF once the kernel refuses it is `loadObject`'s, src/scheduler/setup.ts). The maps of types
 * rendered without BTF are in `mapsWithout` either way.
 */
export function asLoaded(obj: BpfObject): { readonly obj: BpfObject; readonly btf: ObjectBtf; readonly refusal: BtfRefusal | null } {
  const refusal = objectBtfRefusal(obj);
  const mapsWithout = new Set(obj.maps.filter((m) => refusal !== null || !mapHasBtf(m.type)).map((m) => m.name));
  const btf = { funcInfo: refusal === null, mapsWithout };
  return { obj: refusal === null ? obj : { ...obj, maps: obj.maps.map(withoutBtf) }, btf, refusal };
}

/**
 * `obj` as `bpf_object__create_maps` makes its maps, predicted without making them (for `verify`,
 * which makes none): `asLoaded`, each map made with BTF holding the fields as parsed (`parsedFields`),
 * and each one whose fields BPF_MAP_CREATE then refuses (maps/alloc_check.ts `mapCheckBtf`) made
 * again without BTF, as libbpf's second try does. A map refused for another reason fails the load;
 * `loadObject` makes the maps and says which.
 */
export function asMade(obj: BpfObject): { readonly obj: BpfObject; readonly btf: ObjectBtf } {
  const view = asLoaded(obj);
  const withBtf = (m: MapDecl): boolean => !view.btf.mapsWithout.has(m.name);
  const parsed = view.obj.maps.map((m) => (withBtf(m) ? parsedFields(m) : m));
  const retried = parsed.filter((m) => withBtf(m) && mapCheckBtf(m) !== 0).map((m) => m.name);
  if (retried.length === 0 && parsed.every((m, i) => m === view.obj.maps[i])) return view;
  const again = new Set(retried);
  return {
    obj: { ...view.obj, maps: parsed.map((m) => (again.has(m.name) ? withoutBtf(m) : m)) },
    btf: { funcInfo: view.btf.funcInfo, mapsWithout: new Set([...view.btf.mapsWithout, ...retried]) },
  };
}
