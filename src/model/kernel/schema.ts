/**
 * Building blocks of the data formats kernsim reads (scenario files, BPF objects, task scripts): one
 * zod schema per shape, from which the TypeScript type (`z.output`), the validator and the JSON
 * Schema (`npm run docs`, schema/scenario.schema.json) all come. Here: names, C integers written as
 * numbers or text, and the limits every format shares. The program language's part is
 * src/model/program/schema.ts, the syscalls' src/model/task/syscall_schema.ts, the scenario's
 * src/scenario/schema.ts.
 */
import { z } from 'zod';
import { INT_RANGES, INT_TEXT, parseIntText, type IntKind } from './ctypes.ts';

/** Limits of the formats (a document past one is refused, naming the place). */
export const LIMITS = {
  /** Characters of a name (register, global, map, program, label, slot, fd, kfunc). */
  name: 64,
  /** Characters of a path (`PATH_MAX`). */
  path: 4096,
  /** Characters of free text (descriptions, messages, labels of plain task_work). */
  text: 4096,
  /** Characters of a file's `text` content. */
  content: 1 << 20,
  /** Operations in one program or subprogram body (`BPF_MAXINSNS` of classic BPF). */
  ops: 4096,
  /** Arguments of one call (BPF passes at most five, R1-R5). */
  args: 5,
  /** Syscalls in one task's script. */
  script: 10_000,
  /** Items of the other lists (files, objects, maps, globals, programs, tasks, expectations…). */
  items: 1024,
  /** Recorded scheduler choices of a schedule. */
  choices: 1_000_000,
  /** Nesting depth of a document (the formats need about 10). */
  depth: 32,
  /** Values (objects, arrays, strings, numbers…) in one document. */
  nodes: 2_000_000,
  /** A machine's possible CPUs (CONFIG_NR_CPUS's limit on x86-64). */
  cpus: 8192,
} as const;

/**
 * A C identifier (what names registers, globals, maps, programs, labels, stack slots, kfuncs).
 * `__proto__` is refused: JavaScript objects treat it as their prototype; every other name, even
 * `constructor` or `toString`, is an ordinary name.
 */
export const Ident = z.string().max(LIMITS.name).regex(/^(?!__proto__$)[A-Za-z_][A-Za-z0-9_]*$/);

/** An absolute path. */
export const AbsPath = z.string().max(LIMITS.path).regex(/^\//);

/** Free text. */
export const Text = z.string().max(LIMITS.text);

/** A non-negative integer a number holds exactly. */
export const Count = z.int().min(0);

/** A C integer of `kind`: a number (exact below 2^53), or text for any value (`"0xffffffffffffffff"`, `"-0x1"`). */
export function cint(kind: IntKind) {
  const [lo, hi] = INT_RANGES[kind];
  const small = z.int().min(Math.max(Number(lo), Number.MIN_SAFE_INTEGER)).max(Math.min(Number(hi), Number.MAX_SAFE_INTEGER));
  const text = z.string().max(44).regex(INT_TEXT).transform((s, ctx): bigint => {
    const v = parseIntText(s, kind);
    if (typeof v === 'string') {
      ctx.addIssue({ code: 'custom', message: v });
      return z.NEVER;
    }
    return v;
  });
  return z.union([small, text]).meta({ description: `a ${kind} integer: a number below 2^53, or decimal or 0x… text for any value` });
}

/**
 * `schema` compiled by zod (`z.compile`): one generated parser for the whole tree parses a valid
 * document, several times faster than zod's node-by-node parse; a document it refuses goes to zod's
 * ordinary parser, so the problems reported are the same. For the schemas a whole argument or
 * document is checked against (`checkData`, `validateWith`); the types and the JSON Schema are those
 * of `schema`.
 */
export const compiled = <T extends z.ZodType>(schema: T): T => z.compile(schema);

declare global {
  /**
   * zod's declarations name the web-standard `URL` type (its `z.url()` helpers). A consumer compiling
   * with `lib: ["es2022"]`, no DOM and no @types/node, and `skipLibCheck: false` would not have it;
   * this empty declaration merges with the DOM's or Node's `URL` where they exist.
   */
  // eslint-disable-next-line @typescript-eslint/no-empty-interface
  interface URL {}
}

/** Plain data, read-only all the way down (the types the schemas produce, as the model holds them). */
export type DeepReadonly<T> = T extends bigint | number | string | boolean | null | undefined
  ? T
  : T extends readonly (infer U)[]
    ? readonly DeepReadonly<U>[]
    : { readonly [K in keyof T]: DeepReadonly<T[K]> };
