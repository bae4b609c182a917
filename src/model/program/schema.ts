/**
 * The program language as data: operands, conditions, operations, programs, subprograms, maps,
 * globals and objects, each one zod schema. The TypeScript types of program.ts, the validator of
 * `Session.load` and of scenario files, and the `$defs` of schema/scenario.schema.json all come from
 * here: a new operation or operand is added in this file and nowhere else (its meaning then goes to
 * the interpreter, the verifier and the C renderer).
 */
import { z } from 'zod';
import { cint, Ident, LIMITS } from '../kernel/schema.ts';

/** A 64-bit immediate (`ld_imm64`): signed or unsigned, as a number or as text past 2^53. */
export const Imm = cint('reg64');

/** An operand: a register, an immediate, NULL, or one of the things BPF code can name (one key each). */
export const ArgSchema = z.union([
  z.strictObject({ r: Ident }).meta({ description: 'a register' }),
  z.strictObject({ imm: Imm }).meta({ description: 'an immediate' }),
  z.strictObject({ null: z.literal(true) }).meta({ description: 'NULL' }),
  z.strictObject({ dynptr: Ident }).meta({ description: 'a dynptr stack slot' }),
  z.strictObject({ buf: Ident }).meta({ description: 'a byte-array global as memory' }),
  z.strictObject({ global: Ident }).meta({ description: 'a global variable' }),
  z.strictObject({ map: Ident }).meta({ description: 'a map of the object' }),
  /** `&value->tw`, where register `tw` holds a map value pointer. */
  z.strictObject({ tw: Ident }).meta({ description: '&value->tw of the map value in this register' }),
  /** A static subprogram of the object, as a callback. */
  z.strictObject({ cb: Ident }).meta({ description: 'a static subprogram as a callback' }),
  /** The hook's context argument (for `lsm/file_open`: the file being opened). */
  z.strictObject({ ctx: z.literal('file') }).meta({ description: "the hook's file argument" }),
]).meta({
  id: 'arg',
  description: 'an operand, one key: {"r": register}, {"imm": integer}, {"null": true}, {"dynptr": slot}, {"buf": global}, {"global": name}, {"map": name}, {"tw": register}, {"cb": subprogram} or {"ctx": "file"}',
});

export const ALU_FNS = ['add', 'sub', 'and', 'or', 'rsh', 'lsh'] as const;
export const CMPS = ['==', '!=', '<', '<=', '>', '>=', 's<', 's>'] as const;

export const CondSchema = z.strictObject({ r: Ident, cmp: z.enum(CMPS), v: ArgSchema }).meta({ id: 'cond', description: 'a condition {"r", "cmp", "v"}' });

export const OpSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('call'), fn: Ident, args: z.array(ArgSchema).max(LIMITS.args), dst: Ident.optional() }),
  z.strictObject({ op: z.literal('mov'), dst: Ident, src: ArgSchema }),
  z.strictObject({ op: z.literal('alu'), fn: z.enum(ALU_FNS), dst: Ident, src: ArgSchema }),
  /** `global = src`, or with `index` `global[index] = src` into a `u64s` array global. */
  z.strictObject({ op: z.literal('store'), global: Ident, src: ArgSchema, index: z.int().min(0).max(1 << 20).optional() }),
  z.strictObject({ op: z.literal('memcmp'), dst: Ident, a: ArgSchema, aoff: ArgSchema, b: ArgSchema, boff: ArgSchema, len: ArgSchema }),
  z.strictObject({ op: z.literal('label'), name: Ident }),
  z.strictObject({ op: z.literal('goto'), to: Ident, if: CondSchema.optional() }),
  z.strictObject({ op: z.literal('ret'), src: ArgSchema }),
]).meta({ id: 'op', description: 'an operation {"op": "call" | "mov" | "alu" | "store" | "memcmp" | "label" | "goto" | "ret", …}' });

const Body = z.array(OpSchema).max(LIMITS.ops);

/** An ELF section name (`lsm/file_open`, `syscall`, …); which ones libbpf knows is checked by name (sections.ts). */
export const Section = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.+/-]+$/);

export const ProgramSchema = z.strictObject({ name: Ident, section: Section, body: Body });

/** A static subprogram used as a callback: `int cb(map, key, value)` gets R1-R3. */
export const SubprogSchema = z.strictObject({
  name: Ident,
  body: Body,
  /** `static` in C; the verifier refuses a global function as a callback. */
  isStatic: z.boolean().default(true),
});

export const MAP_TYPES = ['array', 'hash', 'lru_hash', 'percpu_array', 'percpu_hash', 'ringbuf'] as const;

export const MapDeclSchema = z.strictObject({
  name: Ident,
  type: z.enum(MAP_TYPES),
  /** `max_entries` (a u32: the kernel's own checks give its errno; preallocating counts against the bytes budget). */
  maxEntries: z.int().min(0).max(0xffff_ffff),
  /** Bytes of plain data in the value (beside the special fields). */
  valueSize: z.int().min(0).max(0xffff_ffff).default(0),
  /** How many `struct bpf_task_work` fields the value holds (0 or 1; 2 is refused at load). */
  taskWorkFields: z.int().min(0).max(16).default(0),
  /** `key_size` (default: 4, and 0 for a ring buffer, which has no keys). */
  keySize: z.int().min(0).max(0xffff_ffff).optional(),
  /** `map_flags` (default 0): a ring buffer takes `BPF_F_NUMA_NODE` and, from 6.19, `BPF_F_RB_OVERWRITE`. */
  flags: z.int().min(0).max(0xffff_ffff).optional(),
});

export const GlobalDeclSchema = z.discriminatedUnion('kind', [
  z.strictObject({ name: Ident, kind: z.literal('int'), init: Imm.optional() }),
  z.strictObject({ name: Ident, kind: z.literal('bytes'), size: z.int().min(0).max(0xffff_ffff) }),
  /** `__u64 name[size]`: an array of `size` u64 (memory too: a `buf` operand may name it). */
  z.strictObject({ name: Ident, kind: z.literal('u64s'), size: z.int().min(0).max(1 << 20) }),
]);

/** One BPF object file: what `bpf_object__open` sees. */
export const BpfObjectSchema = z.strictObject({
  name: Ident,
  maps: z.array(MapDeclSchema).max(LIMITS.items).default([]),
  globals: z.array(GlobalDeclSchema).max(LIMITS.items).default([]),
  programs: z.array(ProgramSchema).max(LIMITS.items),
  subprogs: z.array(SubprogSchema).max(LIMITS.items).default([]),
});
