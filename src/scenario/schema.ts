/**
 * The scenario file format, as zod schemas: the one definition from which the TypeScript types
 * (`Scenario`, `FileSpec`, `Expectations`), the validator (`parseScenario`) and the JSON Schema
 * (`SCENARIO_SCHEMA`, written by `npm run docs` to schema/scenario.schema.json for editors) come.
 * The program language's part is src/model/program/schema.ts, the syscalls' is
 * src/model/task/syscall_schema.ts; the limits are src/model/kernel/schema.ts's `LIMITS`.
 */
import { z } from 'zod';
import { AbsPath, cint, compiled, Count, Ident, LIMITS, Text, type DeepReadonly } from '../model/kernel/schema.ts';
import { BpfObjectSchema } from '../model/program/schema.ts';
import { NewTaskSchema } from '../model/task/syscall_schema.ts';
import { featureValues, KERNEL_VERSIONS, type KernelVersion, type VersionFeatures } from '../model/kernel/version.ts';

const list = <T extends z.ZodType>(item: T, max: number = LIMITS.items) => z.array(item).max(max);

/** A page index (a file of 2^63 bytes has pages below 2^51). */
const PageIndex = z.int().min(0).max(2 ** 51);

export const ContentSchema = z.union([
  z.strictObject({ pattern: z.int().min(0).max(0xffff_ffff) }).meta({ description: 'a seeded pattern, computed on demand' }),
  z.strictObject({ random: Text }).meta({ description: 'seeded random bytes, generated (they count against the bytes budget)' }),
  z.strictObject({ text: z.string().max(LIMITS.content) }).meta({ description: 'these bytes (UTF-8)' }),
  z.strictObject({ zero: z.literal(true) }).meta({ description: 'zeros' }),
]);

export const FileSpecSchema = z.strictObject({
  path: AbsPath,
  /** `i_size`; required unless the content is `text`. */
  size: cint('loff').optional(),
  content: ContentSchema.optional(),
  /** `warm` (every page cached), `cold` (none), or inclusive page ranges `[first, last]`. */
  cache: z.union([z.enum(['warm', 'cold']), list(z.tuple([PageIndex, PageIndex]))]).optional(),
  ioLatency: z.int().min(0).max(2 ** 40).optional(),
  secretmem: z.boolean().optional(),
  ioErrors: list(z.strictObject({ offset: cint('loff'), times: z.int().min(1).max(2 ** 31).optional() })).optional(),
  /** The device's `read_ahead_kb` (default 128) and `max_sectors_kb` (default 1280): multiples of 4. */
  readAheadKb: z.int().min(0).max(2 ** 30).multipleOf(4).optional(),
  maxSectorsKb: z.int().min(0).max(2 ** 30).multipleOf(4).optional(),
  /** `mapping_max_folio_order` (default 0; ext4 on 6.16+: 9) and the filesystem block size (default 4096). */
  maxFolioOrder: z.int().min(0).max(11).optional(),
  blockSize: z.union([z.literal(512), z.literal(1024), z.literal(2048), z.literal(4096)]).optional(),
}).superRefine((f, ctx) => {
  if (f.size === undefined && (f.content === undefined || !('text' in f.content))) {
    ctx.addIssue({ code: 'custom', path: ['size'], message: 'a size (only text content implies one)' });
  }
});

/** An expected return value: an integer, an errno name (`-EINVAL`), or the trace's text of it. */
const Ret = z.union([z.int(), Text]);

/** A page state as `Session.pages` names it. */
const PageStateKey = z.string().regex(/^(uptodate|locked|failed|partial)(\+ref)?(\+dirty)?(\+ra)?$/);

/**
 * How an expectation holds across the schedules `kernsim explore` finds, like a litmus test's final
 * condition (herd7's Always / Sometimes / Never): in every schedule, in some but not all, in none. An
 * expectation without one is `always`; a scenario that states one for any expectation is checked by
 * exploring (`kernsim run`). A single run refutes `always` and `never`, never `sometimes`.
 */
export const ExpectClassSchema = z.enum(['always', 'sometimes', 'never']);
export type ExpectClass = z.output<typeof ExpectClassSchema>;

const GlobalValue = z.union([cint('reg64'), z.string().regex(/^-E[A-Z0-9]+$/)]);
const PagesWant = z.record(PageStateKey, z.string().max(LIMITS.text));

export const ExpectationsSchema = z.strictObject({
  /** Globals after the run, by name: an integer (number or text), or an errno name; or `{ value, class }`. */
  globals: z.record(Ident, z.union([GlobalValue, z.strictObject({ value: GlobalValue, class: ExpectClassSchema })])).optional(),
  /** The return value of the `nth` call (from 0) of kfunc `fn`. */
  calls: list(z.strictObject({ fn: Ident, nth: Count.optional(), ret: Ret, class: ExpectClassSchema.optional() })).optional(),
  /** The return value of syscall #`syscall` of task #`task` (indices into `tasks` and its script). */
  results: list(z.strictObject({ task: Count, syscall: Count, ret: Ret, class: ExpectClassSchema.optional() })).optional(),
  /** Every reference count back at its baseline when the run ends (or `{ value: 'baseline', class }`). */
  refs: z.union([z.literal('baseline'), z.strictObject({ value: z.literal('baseline'), class: ExpectClassSchema })]).optional(),
  /** The verifier's verdict on a program (and a part of its message). A refused program fails its object's load. */
  verifier: list(z.strictObject({ program: Ident, ok: z.boolean(), message: Text.optional() })).optional(),
  /**
   * Whether an object loads. Without an entry, a failed load fails the scenario (unless `verifier`
   * expects the refusal of one of its programs); `errno` (`-EACCES`, `-E2BIG`…) and `message` (a
   * part of the verifier's or loader's message) narrow it.
   */
  load: list(z.strictObject({ object: Ident, ok: z.boolean(), errno: z.string().regex(/^-E[A-Z0-9]+$/).optional(), message: Text.optional() })).optional(),
  /** The page cache of files at the end, as `Session.pages` shows it: state → page ranges (or `{ value, class }`). */
  pages: z.record(AbsPath, z.union([PagesWant, z.strictObject({ value: PagesWant, class: ExpectClassSchema })])).optional(),
  /** How many times a program or callback ran. */
  runs: list(z.strictObject({ program: Ident, times: Count, class: ExpectClassSchema.optional() })).optional(),
  /**
   * Whether runs complete: the model stops a run that uses freed memory or follows a kernel path the
   * kernel would not survive (a NULL dereference in a race window). Default `always`; a litmus test
   * of such a race states `sometimes` (or `never`).
   */
  completes: ExpectClassSchema.optional(),
});

/** A task of the scenario (its `exe` a file of the scenario). */
export const TaskSpecSchema = NewTaskSchema;

export const ScheduleSchema = z.strictObject({
  seed: z.union([z.int(), Text]).optional(),
  choices: list(Count, LIMITS.choices).optional(),
});

/** Each rule of `VersionFeatures` (but `version`), taking the values the modelled versions have. */
const FeatureOverridesSchema = z.strictObject(Object.fromEntries(
  Object.keys(KERNEL_VERSIONS['6.18']).filter((key) => key !== 'version').map((key) => {
    const seen = featureValues(key as keyof VersionFeatures) as [string | number | boolean, ...(string | number | boolean)[]];
    return [key, z.union(seen.map((v) => z.literal(v)) as [z.ZodLiteral<string | number | boolean>, ...z.ZodLiteral<string | number | boolean>[]]).optional()];
  }),
));

export const ScenarioSchema = compiled(z.strictObject({
  $schema: Text.optional(),
  name: z.string().min(1).max(256),
  description: Text.optional(),
  version: z.enum(Object.keys(KERNEL_VERSIONS) as [KernelVersion, ...KernelVersion[]]).optional(),
  /** Load without the verifier, to watch what it prevents. */
  unverified: z.boolean().optional(),
  /**
   * A machine of several CPUs: the irq_work that adds a BPF task_work may stop between its steps
   * while tasks run on other CPUs (the SCHEDULING window), and a callback may be interrupted right
   * after it started (`kernsim explore` explores these; the default schedule is unchanged).
   */
  smp: z.boolean().optional(),
  /**
   * The machine's possible CPUs (default 1, or 2 with `smp`): per-CPU sizes are computed from it (an
   * LRU_HASH map's `target_free`, how many nodes a refill of its free list wants). Everything runs on CPU 0.
   */
  cpus: z.number().int().min(1).max(LIMITS.cpus).optional(),
  /**
   * What `get_random_u32()` gives each hash map as its hash seed (`hashrnd`, default 0; a map created
   * with BPF_F_ZERO_SEED has 0): it decides the order BPF_MAP_GET_NEXT_KEY walks the keys in, and
   * which bits a bloom filter's values set (its `hash_seed`).
   */
  hashrnd: z.number().int().min(0).max(0xffff_ffff).optional(),
  /**
   * The kernel build's own rules where they differ from its version's (a vendor kernel with
   * backports; `WorldOptions.features`): `{ "kfuncTrustedDefault": true }` is a 6.18 with 7.0's
   * trusted kfunc arguments.
   */
  features: FeatureOverridesSchema.optional(),
  files: list(FileSpecSchema),
  objects: list(BpfObjectSchema, 64),
  tasks: list(TaskSpecSchema),
  schedule: ScheduleSchema.optional(),
  expect: ExpectationsSchema.optional(),
}).meta({
  title: 'kernsim scenario',
  description: 'Files and their cache state, BPF objects (programs as data), tasks, a schedule, and the expected outcomes.',
}));

export type FileSpec = DeepReadonly<z.output<typeof FileSpecSchema>>;
export type Expectations = DeepReadonly<z.output<typeof ExpectationsSchema>>;
/** A parsed scenario (what `parseScenario` returns; the file format is `ScenarioSchema`). */
export type Scenario = DeepReadonly<z.output<typeof ScenarioSchema>>;
/** A scenario as written (numbers or text for big integers; defaults not filled in). */
export type ScenarioInput = z.input<typeof ScenarioSchema>;

/** The JSON Schema of scenario files (draft 2020-12), generated from `ScenarioSchema`. */
function jsonSchema(): Record<string, unknown> {
  // The operand, condition, operation and syscall schemas carry an `id` (their modules): they are `$defs`.
  const out = z.toJSONSchema(ScenarioSchema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' }) as Record<string, unknown>;
  return { $schema: out.$schema, $id: 'https://kernsim.dev/schema/scenario.schema.json', ...out };
}

export const SCENARIO_SCHEMA: Readonly<Record<string, unknown>> = jsonSchema();
