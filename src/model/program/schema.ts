/**
 * The program language as data: operands, conditions, operations, programs, subprograms, maps,
 * globals and objects, each one zod schema. The TypeScript types of program.ts, the validator of
 * `Session.load` and of scenario files, and the `$defs` of schema/scenario.schema.json all come from
 * here: a new operation or operand is added in this file and nowhere else (its meaning then goes to
 * the interpreter, the verifier and the C renderer).
 */
import { z } from 'zod';
import { cint, compiled, Ident, LIMITS } from '../kernel/schema.ts';
import { FIELD_NAMES, STRUCT_NAMES } from '../btf/structs.ts';

/** A 64-bit immediate (`ld_imm64`): signed or unsigned, as a number or as text past 2^53. */
export const Imm = cint('reg64');

/** A byte offset added to an address operand (a stack variable or global is at most this large). */
const Off = z.int().min(-(1 << 20)).max(1 << 20);

/** An operand: a register, an immediate, NULL, or one of the things BPF code can name (one key each). */
export const ArgSchema = z.union([
  z.strictObject({ r: Ident }).meta({ description: 'a register (r0-r10 as in BPF assembly, r10 the frame pointer; any other name is a C variable)' }),
  z.strictObject({ imm: Imm }).meta({ description: 'an immediate' }),
  z.strictObject({ null: z.literal(true) }).meta({ description: 'NULL' }),
  z.strictObject({ dynptr: Ident, off: Off.optional() }).meta({ description: '&name (+ off) of a struct bpf_dynptr stack variable' }),
  z.strictObject({ buf: Ident, off: Off.optional() }).meta({ description: 'a byte array (global or stack) as a pointer (+ off)' }),
  z.strictObject({ global: Ident }).meta({ description: 'a global variable: its value (a scalar) or its address (an array)' }),
  z.strictObject({ addr: Ident, off: Off.optional() }).meta({ description: '&name (+ off): a stack variable of the function, else a global' }),
  z.strictObject({ map: Ident }).meta({ description: 'a map of the object' }),
  /** `&value->tw`, where register `tw` holds a map value pointer. */
  z.strictObject({ tw: Ident }).meta({ description: '&value->tw of the map value in this register' }),
  /** `&value->field`, a kptr field (the map's `kptrs`) of the map value register `kptr` holds. */
  z.strictObject({ kptr: Ident, field: Ident }).meta({ description: '&value->field: a kptr field of the map value in register kptr' }),
  /** A function of the object, as a callback. */
  z.strictObject({ cb: Ident }).meta({ description: 'a function of the object as a callback' }),
  /** The hook's file argument (`lsm/file_open`), or the program's context pointer (R1 on entry). */
  z.strictObject({ ctx: z.enum(['file', 'ctx']) }).meta({ description: "the hook's file argument, or the program's context pointer" }),
  /**
   * `bpf_ksym_exists(kfunc)`: 1 when the running kernel has the kfunc, else 0. The object then
   * declares the kfunc `__weak`, so that a kernel without it still loads the object (program/ksym.ts).
   */
  z.strictObject({ ksym: Ident }).meta({ description: 'bpf_ksym_exists(kfunc): 1 when the kernel has the kfunc, else 0 (the kfunc is then a __weak extern)' }),
]).meta({
  id: 'arg',
  description: 'an operand, one key: {"r": register}, {"imm": integer}, {"null": true}, {"dynptr": slot, "off"?}, {"buf": array, "off"?}, {"global": name}, {"addr": variable, "off"?}, {"map": name}, {"tw": register}, {"kptr": register, "field": name}, {"cb": function}, {"ctx": "file" | "ctx"} or {"ksym": kfunc}',
});

/** 64-bit ALU operations (BPF_ADD … BPF_ARSH), wrapping as the BPF ISA does; `div`/`mod` by 0 give 0 / the dividend. */
export const ALU_FNS = ['add', 'sub', 'and', 'or', 'xor', 'rsh', 'lsh', 'arsh', 'mul', 'div', 'mod'] as const;
export const CMPS = ['==', '!=', '<', '<=', '>', '>=', 's<', 's<=', 's>', 's>='] as const;
/** Bytes a load or store moves (BPF_B, BPF_H, BPF_W, BPF_DW). */
export const MEM_SIZES = [1, 2, 4, 8] as const;
/** `BPF_ATOMIC` operations. */
export const ATOMIC_FNS = ['add', 'and', 'or', 'xor'] as const;

const MemSizeSchema = z.union(MEM_SIZES.map((n) => z.literal(n)) as unknown as [z.ZodLiteral<1>, z.ZodLiteral<2>, z.ZodLiteral<4>, z.ZodLiteral<8>]);

export const CondSchema = z.strictObject({ r: Ident, cmp: z.enum(CMPS), v: ArgSchema }).meta({ id: 'cond', description: 'a condition {"r", "cmp", "v"}' });

export const OpSchema = z.discriminatedUnion('op', [
  /** A kfunc or helper call, or a bpf-to-bpf call when `fn` names a function of the object. */
  z.strictObject({ op: z.literal('call'), fn: Ident, args: z.array(ArgSchema).max(LIMITS.args), dst: Ident.optional() }),
  z.strictObject({ op: z.literal('mov'), dst: Ident, src: ArgSchema }),
  /** `dst op= src`; a pointer plus or minus a scalar is pointer arithmetic. */
  z.strictObject({ op: z.literal('alu'), fn: z.enum(ALU_FNS), dst: Ident, src: ArgSchema }),
  /** `global = src`, or with `index` `global[index] = src` into a `u64s` array global. */
  z.strictObject({ op: z.literal('store'), global: Ident, src: ArgSchema, index: z.int().min(0).max(1 << 20).optional() }),
  /** `dst = *(uN *)(base + off)` (zero-extended; `signed`: sign-extended, BPF_MEMSX). */
  z.strictObject({ op: z.literal('ld'), dst: Ident, size: MemSizeSchema, base: ArgSchema, off: Off.optional(), signed: z.boolean().optional() }),
  /** `dst = base->field`: a member of the `struct task_struct`, `struct file` or `struct inode` `base` points to, read by name (model/btf/structs.ts). */
  z.strictObject({ op: z.literal('field'), dst: Ident, base: ArgSchema, field: z.enum(FIELD_NAMES) }),
  /** `*(uN *)(base + off) = src` (a register: BPF_STX; an immediate: BPF_ST). */
  z.strictObject({ op: z.literal('st'), size: MemSizeSchema, base: ArgSchema, off: Off.optional(), src: ArgSchema }),
  /** `lock *(uN *)(base + off) op= src`; with `fetch`, the old value lands in that register. */
  z.strictObject({ op: z.literal('atomic'), fn: z.enum(ATOMIC_FNS), size: z.union([z.literal(4), z.literal(8)]), base: ArgSchema, off: Off.optional(), src: ArgSchema, fetch: Ident.optional() }),
  /** `__builtin_memcpy(dst, src, len)` with a constant length. */
  z.strictObject({ op: z.literal('memcpy'), dst: ArgSchema, src: ArgSchema, len: z.int().min(0).max(1 << 16) }),
  /** `__builtin_memset(dst, val, len)` with a constant length. */
  z.strictObject({ op: z.literal('memset'), dst: ArgSchema, val: z.int().min(0).max(255), len: z.int().min(0).max(1 << 16) }),
  z.strictObject({ op: z.literal('memcmp'), dst: Ident, a: ArgSchema, aoff: ArgSchema, b: ArgSchema, boff: ArgSchema, len: ArgSchema }),
  z.strictObject({ op: z.literal('label'), name: Ident }),
  z.strictObject({ op: z.literal('goto'), to: Ident, if: CondSchema.optional() }),
  z.strictObject({ op: z.literal('ret'), src: ArgSchema }),
]).meta({ id: 'op', description: 'an operation {"op": "call" | "mov" | "alu" | "store" | "ld" | "field" | "st" | "atomic" | "memcpy" | "memset" | "memcmp" | "label" | "goto" | "ret", …}' });

/** The C type of a stack variable; `{ bytes }` is a byte array (also a struct or union laid out by hand). */
export const LOCAL_TYPES = ['u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64', 'dynptr', 'iter_num', 'task_work'] as const;
export const LocalTypeSchema = z.union([z.enum(LOCAL_TYPES), z.strictObject({ bytes: z.int().min(1).max(512) })]);

/**
 * A stack variable. `init`: `zero` for `= {}`, a string (NUL-padded) or bytes for an initialized
 * array; without it the slots are uninitialized.
 */
export const LocalSchema = z.strictObject({
  name: Ident,
  type: LocalTypeSchema,
  init: z.union([z.string().max(512), z.array(z.int().min(0).max(255)).max(512)]).optional(),
}).meta({ id: 'local', description: 'a stack variable {"name", "type", "init"?}' });

/**
 * A parameter of a function (R1…R5 in order), named as the register the body reads it from.
 * `dynptr` is `const struct bpf_dynptr *`, `ptr` a pointer the caller owns (`void *`, `T **`), `ctx`
 * the program's context, `map`/`file`/`task` BTF pointers.
 */
export const PARAM_TYPES = ['u32', 'u64', 's32', 's64', 'ptr', 'dynptr', 'ctx', 'map', 'file', 'task'] as const;
export const ParamSchema = z.strictObject({ name: Ident, type: z.enum(PARAM_TYPES) }).meta({ id: 'param', description: 'a parameter {"name", "type"}' });

const Body = z.array(OpSchema).max(LIMITS.ops);

/** An ELF section name (`lsm/file_open`, `syscall`, …); which ones libbpf knows is checked by name (sections.ts). */
export const Section = z.string().min(1).max(128).regex(/^\??[A-Za-z0-9_.+/:-]+$/);

const Locals = z.array(LocalSchema).max(LIMITS.items);

export const ProgramSchema = compiled(z.strictObject({
  name: Ident,
  section: Section,
  body: Body,
  locals: Locals.optional(),
  /**
   * Written as the selftests' `__naked` inline assembly: only `r0`…`r10`; each op is one BPF
   * instruction (a 64-bit immediate or a map address two), so instruction numbers in the verifier's
   * messages are the kernel's, and calls clobber R1–R5.
   */
  asm: z.boolean().optional(),
}));

/**
 * A function of the object besides the programs: a static function (a callback of task_work or
 * `bpf_loop`, or a `__noinline` subprogram) or, with `isStatic: false`, a global function, which the
 * verifier checks once on its own from its argument types. Without `params`: a task_work callback
 * `int cb(struct bpf_map *map, void *key, void *value)` getting R1-R3.
 */
export const SubprogSchema = z.strictObject({
  name: Ident,
  body: Body,
  /** `static` in C; the verifier refuses a global function as a callback. */
  isStatic: z.boolean().default(true),
  params: z.array(ParamSchema).max(LIMITS.args).optional(),
  locals: Locals.optional(),
  /** The C return type (default `int`). */
  returns: z.enum(['int', 'long', 'void']).optional(),
});

export const MAP_TYPES = ['array', 'hash', 'lru_hash', 'percpu_array', 'percpu_hash', 'lru_percpu_hash', 'ringbuf', 'queue', 'stack', 'bloom_filter', 'task_storage'] as const;

/**
 * A kptr field of a map value: `struct task_struct __kptr *name` (referenced: it holds a reference,
 * moved in and out with `bpf_kptr_xchg`), or with `untrusted` `struct S __kptr_untrusted *name` (a
 * plain pointer a program stores and loads). Only `struct task_struct` has a destructor for a
 * referenced kptr among the model's structures (kernel/bpf/btf.c `btf_parse_kptr` →
 * `btf_find_dtor_kfunc`); one of another makes the kernel refuse the object's BTF (src/model/btf/object.ts);
 * src/model/kptr.
 */
export const KptrDeclSchema = z.strictObject({
  name: Ident,
  type: z.enum(STRUCT_NAMES),
  untrusted: z.boolean().optional(),
}).meta({ id: 'kptr', description: 'a kptr field of a map value {"name", "type", "untrusted"?}' });

export const MapDeclSchema = z.strictObject({
  name: Ident,
  type: z.enum(MAP_TYPES),
  /** `max_entries` (a u32: the kernel's own checks give its errno; preallocating counts against the bytes budget). */
  maxEntries: z.int().min(0).max(0xffff_ffff),
  /** Bytes of plain data in the value (beside the special fields). */
  valueSize: z.int().min(0).max(0xffff_ffff).default(0),
  /** How many `struct bpf_task_work` fields the value holds (0 or 1; with 2 or more the kernel parses none: btf/object.ts `parsedFields`). */
  taskWorkFields: z.int().min(0).max(16).default(0),
  /** The value's kptr fields, after the data and the task_work field (maps/layout.ts). */
  kptrs: z.array(KptrDeclSchema).max(8).optional(),
  /** `key_size` (default: 4, and 0 for a ring buffer, a queue, a stack and a bloom filter, which have no keys). */
  keySize: z.int().min(0).max(0xffff_ffff).optional(),
  /**
   * `map_flags` (default 0): a ring buffer takes `BPF_F_NUMA_NODE` and, from 6.19, `BPF_F_RB_OVERWRITE`;
   * a HASH map `BPF_F_NO_PREALLOC` (1).
   */
  flags: z.int().min(0).max(0xffff_ffff).optional(),
  /** `BPF_F_NO_PREALLOC` (hash maps): element memory allocated on insert rather than preallocated. */
  noPrealloc: z.boolean().optional(),
  /**
   * `map_extra` (default 0): a bloom filter's number of hashes in its low 4 bits (0: 5); any other
   * type of the model's refuses a value other than 0 (-EINVAL).
   */
  mapExtra: z.int().min(0).max(0xffff_ffff).optional(),
});

export const GlobalDeclSchema = z.discriminatedUnion('kind', [
  /**
   * `int name` (4 bytes, signed). `rodata` (here and for u32, u64): `const volatile`, in `.rodata`, which
   * libbpf freezes before the programs load, so the verifier reads its value (`bpf_map_direct_read`).
   */
  z.strictObject({ name: Ident, kind: z.literal('int'), init: Imm.optional(), rodata: z.boolean().optional() }),
  /** `__u32 name` / `__u64 name` (also `void *name`, held as its address value). */
  z.strictObject({ name: Ident, kind: z.literal('u32'), init: Imm.optional(), rodata: z.boolean().optional() }),
  z.strictObject({ name: Ident, kind: z.literal('u64'), init: Imm.optional(), rodata: z.boolean().optional() }),
  /** `char name[size]`, optionally initialized (a string is NUL-padded); `rodata`: `const`, in `.rodata`. */
  z.strictObject({ name: Ident, kind: z.literal('bytes'), size: z.int().min(0).max(0xffff_ffff), init: z.union([z.string().max(1 << 16), z.array(z.int().min(0).max(255)).max(1 << 16)]).optional(), rodata: z.boolean().optional() }),
  /** `__u64 name[size]`: an array of `size` u64 (memory too: a `buf` operand may name it). */
  z.strictObject({ name: Ident, kind: z.literal('u64s'), size: z.int().min(0).max(1 << 20) }),
]);

/** One BPF object file: what `bpf_object__open` sees. */
export const BpfObjectSchema = compiled(z.strictObject({
  name: Ident,
  maps: z.array(MapDeclSchema).max(LIMITS.items).default([]),
  globals: z.array(GlobalDeclSchema).max(LIMITS.items).default([]),
  programs: z.array(ProgramSchema).max(LIMITS.items),
  subprogs: z.array(SubprogSchema).max(LIMITS.items).default([]),
  /**
   * Kfuncs declared `__weak` (`extern … __ksym __weak`) besides those a `ksym` operand tests: libbpf
   * leaves one the kernel lacks unresolved instead of failing the load (program/ksym.ts).
   */
  weak: z.array(Ident).max(LIMITS.items).optional(),
}));
