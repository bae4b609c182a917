/**
 * Validation of data against the formats' zod schemas (schema.ts and the modules it names), with each
 * problem named by its place — a JSON Pointer into the document — and what was expected there.
 *
 * A document is first copied into plain JSON data by `plainCopy`, iteratively and within the limits
 * (depth, number of values, string lengths): a 100,000-deep object or a cycle is a problem at its
 * place, never a stack overflow; `bigint`s become decimal text (the formats accept integers as text);
 * anything that is not JSON data (a function, a `Map`, a typed array, `NaN`) is refused where it is.
 * Keys such as `__proto__`, `constructor` or `toString` are copied as own data properties and checked
 * like any other key: nothing is ever assigned through an object's prototype.
 */
import type { z } from 'zod';
import { globalRegistry } from 'zod';
import { LIMITS } from './schema.ts';

export interface Problem {
  /** JSON Pointer into the document, e.g. `/tasks/0/script/2/sys`; `` is the whole document. */
  readonly path: string;
  readonly expected: string;
}

type Seg = string | number;

const esc = (k: Seg): string => String(k).replace(/~/g, '~0').replace(/\//g, '~1');
export const pointer = (segs: readonly Seg[]): string => segs.map((s) => `/${esc(s)}`).join('');

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null;
    const name = proto?.constructor?.name;
    return typeof name === 'string' && name !== 'Object' ? `a ${name}` : 'an object';
  }
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return `a string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  return `a ${typeof v}`;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function setOwn(target: Record<string, unknown> | unknown[], key: Seg, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A plain JSON copy of `doc` (bigints as decimal text), or the problems that stopped it. Iterative:
 * the cost is linear in the document and the stack depth constant.
 */
export function plainCopy(doc: unknown, limits: { depth: number; nodes: number; string: number } = { depth: LIMITS.depth, nodes: LIMITS.nodes, string: LIMITS.content }): { value: unknown; problems: Problem[] } {
  const problems: Problem[] = [];
  const root: { v: unknown } = { v: undefined };
  const work: { src: unknown; path: Seg[]; depth: number; put: (v: unknown) => void }[] = [{ src: doc, path: [], depth: 0, put: (v) => { root.v = v; } }];
  let nodes = 0;
  while (work.length > 0 && problems.length < 50) {
    const { src, path, depth, put } = work.pop() as (typeof work)[number];
    nodes += 1;
    if (nodes > limits.nodes) {
      problems.push({ path: pointer(path), expected: `a document of at most ${limits.nodes} values` });
      break;
    }
    try {
      if (src === null || typeof src === 'boolean') put(src);
      else if (typeof src === 'number') {
        if (Number.isFinite(src)) put(src);
        else problems.push({ path: pointer(path), expected: `a finite number (got ${src})` });
      } else if (typeof src === 'string') {
        if (src.length <= limits.string) put(src);
        else problems.push({ path: pointer(path), expected: `a string of at most ${limits.string} characters (got ${src.length})` });
      } else if (typeof src === 'bigint') put(src.toString());
      else if (typeof src === 'object' && (Array.isArray(src) || isPlainObject(src))) {
        if (depth >= limits.depth) {
          problems.push({ path: pointer(path), expected: `a document nested at most ${limits.depth} levels deep` });
          continue;
        }
        if (Array.isArray(src)) {
          const out: unknown[] = new Array<unknown>(src.length);
          put(out);
          for (let i = src.length - 1; i >= 0; i -= 1) work.push({ src: src[i], path: [...path, i], depth: depth + 1, put: (v) => { out[i] = v; } });
        } else {
          const out: Record<string, unknown> = {};
          put(out);
          const keys = Object.keys(src);
          for (let i = keys.length - 1; i >= 0; i -= 1) {
            const key = keys[i] as string;
            // No format has a `__proto__` key (names exclude it), and some code would treat it as the
            // object's prototype: it is refused wherever it appears.
            if (key === '__proto__') {
              problems.push({ path: pointer([...path, key]), expected: 'no key "__proto__" (it names no field of the format)' });
              continue;
            }
            const v = (src as Record<string, unknown>)[key];
            if (v === undefined) continue;
            work.push({ src: v, path: [...path, key], depth: depth + 1, put: (x) => setOwn(out, key, x) });
          }
        }
      } else if (src === undefined) problems.push({ path: pointer(path), expected: 'a JSON value (got undefined)' });
      else problems.push({ path: pointer(path), expected: `a JSON value (got ${kindOf(src)})` });
    } catch (e) {
      problems.push({ path: pointer(path), expected: `a readable value (reading it threw ${e instanceof Error ? e.name : 'an exception'})` });
    }
  }
  return { value: root.v, problems };
}

// ---- zod issues as problems ---------------------------------------------------------------------

type Def = { type: string; [k: string]: unknown };
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Strip the wrappers that do not change the shape (optional, default, pipe's input, lazy…). */
function unwrap(s0: z.ZodType): z.ZodType {
  let s = s0;
  for (let i = 0; i < 16; i += 1) {
    const d = defOf(s);
    if (d.type === 'optional' || d.type === 'default' || d.type === 'prefault' || d.type === 'nullable' || d.type === 'readonly' || d.type === 'catch' || d.type === 'nonoptional') s = d.innerType as z.ZodType;
    else if (d.type === 'pipe') s = d.in as z.ZodType;
    else if (d.type === 'lazy') s = (d.getter as () => z.ZodType)();
    else return s;
  }
  return s;
}

function get(v: unknown, k: Seg): unknown {
  if (v === null || typeof v !== 'object') return undefined;
  return Object.prototype.hasOwnProperty.call(v, k) ? (v as Record<Seg, unknown>)[k] : undefined;
}

/** The option of a union that `value` is meant for: by the discriminator, else by its keys. */
function pickOption(s: z.ZodType, value: unknown): z.ZodType | undefined {
  const d = defOf(s);
  const options = d.options as z.ZodType[];
  if (typeof d.discriminator === 'string') {
    const tag = get(value, d.discriminator);
    return options.find((o) => {
      const shape = defOf(unwrap(o)).shape as Record<string, z.ZodType> | undefined;
      const lit = shape?.[d.discriminator as string];
      return lit !== undefined && ((defOf(unwrap(lit)).values as unknown[] | undefined) ?? []).includes(tag);
    });
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    return options.find((o) => {
      const shape = defOf(unwrap(o)).shape as Record<string, z.ZodType> | undefined;
      return shape !== undefined && keys.length > 0 && keys.every((k) => Object.prototype.hasOwnProperty.call(shape, k));
    }) ?? options.find((o) => {
      const shape = defOf(unwrap(o)).shape as Record<string, z.ZodType> | undefined;
      return shape !== undefined && keys.some((k) => Object.prototype.hasOwnProperty.call(shape, k));
    });
  }
  if (Array.isArray(value)) return options.find((o) => defOf(unwrap(o)).type === 'array');
  return undefined;
}

/** The schema at `path` of a document `doc` validated against `schema` (undefined when it cannot be told). */
function schemaAt(schema: z.ZodType, doc: unknown, path: readonly Seg[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = unwrap(schema);
  let v = doc;
  for (const seg of path) {
    if (s === undefined) return undefined;
    if (defOf(s).type === 'union') s = pickOption(s, v);
    if (s === undefined) return undefined;
    s = unwrap(s);
    const d = defOf(s);
    if (d.type === 'object') {
      const shape = d.shape as Record<string, z.ZodType>;
      s = Object.prototype.hasOwnProperty.call(shape, String(seg)) ? shape[String(seg)] : undefined;
    }
    else if (d.type === 'array') s = d.element as z.ZodType;
    else if (d.type === 'record') s = d.valueType as z.ZodType;
    else if (d.type === 'tuple') s = (d.items as z.ZodType[])[Number(seg)];
    else return undefined;
    if (s !== undefined) s = unwrap(s);
    v = get(v, seg);
  }
  return s;
}

/** What a schema accepts, in a few words. */
export function describeSchema(s0: z.ZodType, depth = 0): string {
  const meta = globalRegistry.get(s0) as { description?: string } | undefined;
  if (meta?.description !== undefined && depth > 0) return meta.description;
  const s = unwrap(s0);
  const inner = globalRegistry.get(s) as { description?: string } | undefined;
  const d = defOf(s);
  switch (d.type) {
    case 'literal': return (d.values as unknown[]).map((x) => JSON.stringify(x)).join(' or ');
    case 'enum': return `one of ${Object.values(d.entries as Record<string, unknown>).map((x) => JSON.stringify(x)).join(', ')}`;
    case 'string': return inner?.description ?? 'a string';
    case 'number': case 'int': return inner?.description ?? 'an integer';
    case 'boolean': return 'true or false';
    case 'array': return 'an array';
    case 'record': return 'an object';
    case 'object': {
      const shape = d.shape as Record<string, z.ZodType>;
      const req = Object.keys(shape).filter((k) => (shape[k] as unknown as { _zod: { optin?: string } })._zod.optin !== 'optional');
      const desc = inner?.description ?? meta?.description;
      const short = desc !== undefined && desc.length <= 60 ? desc : 'an object';
      return `${short} {${req.map((k) => `"${k}"`).join(', ')}${req.length < Object.keys(shape).length ? ', …' : ''}}`;
    }
    case 'union': {
      if (depth > 2) return 'a valid value';
      if (meta?.description !== undefined) return meta.description;
      return (d.options as z.ZodType[]).map((o) => describeSchema(o, depth + 1)).join(' or ');
    }
    default: return meta?.description ?? 'a valid value';
  }
}

interface Issue {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly [k: string]: unknown;
}

const segs = (p: readonly PropertyKey[]): Seg[] => p.map((x) => (typeof x === 'number' ? x : String(x)));

function bound(issue: Issue, big: boolean): string {
  const limit = (big ? issue.maximum : issue.minimum) as number | bigint;
  const incl = issue.inclusive !== false;
  switch (issue.origin) {
    case 'string': return big ? `at most ${limit} characters` : `at least ${limit} character${limit === 1 ? '' : 's'}`;
    case 'array': return big ? `at most ${limit} items` : `at least ${limit} item${limit === 1 ? '' : 's'}`;
    case 'object': case 'record': return big ? `at most ${limit} properties` : `at least ${limit} properties`;
    default:
      if (Math.abs(Number(limit)) >= Number.MAX_SAFE_INTEGER) return `an integer a number holds exactly (${big ? 'below' : 'above'} ${big ? '' : '-'}2^53; write larger values as text, e.g. "9007199254740993")`;
      return `an integer ${big ? (incl ? '<=' : '<') : (incl ? '>=' : '>')} ${limit}`;
  }
}

/** Whether a branch of a union matches the value's shape (its problems, if any, are deeper). */
function fits(branch: readonly Issue[], value: unknown): 'deep' | 'typed' | 'no' {
  let deepOnly = true;
  for (const i of branch) {
    if (i.path.length === 0) {
      deepOnly = false;
      if (i.code === 'invalid_type' || i.code === 'unrecognized_keys' || i.code === 'invalid_union') return 'no';
    } else if (i.path.length === 1 && get(value, String(i.path[0])) === undefined) return 'no';
  }
  return deepOnly ? 'deep' : 'typed';
}

/** Problems for zod `issues` from validating `doc` against `schema`; paths are prefixed with `at`. */
export function problemsOf(schema: z.ZodType, doc: unknown, issues: readonly Issue[], at: readonly Seg[] = []): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    const path = [...at, ...segs(issue.path)];
    const here = pointer(path);
    const value = path.reduce<unknown>((v, k) => get(v, k), doc);
    const expectedHere = (): string => {
      const s = schemaAt(schema, doc, path);
      return s === undefined ? 'a valid value' : describeSchema(s);
    };
    const parentValue = path.slice(0, -1).reduce<unknown>((v, k) => get(v, k), doc);
    const last = path[path.length - 1];
    const missing = value === undefined && typeof last === 'string' && parentValue !== null && typeof parentValue === 'object' && !Array.isArray(parentValue);
    if (missing && (issue.code === 'invalid_type' || (issue.code === 'invalid_union' && issue.note !== 'No matching discriminator'))) {
      out.push({ path: here, expected: `a required property "${last}" (${expectedHere()})` });
      continue;
    }
    switch (issue.code) {
      case 'invalid_type':
        out.push({ path: here, expected: `${expectedHere()} (got ${kindOf(value)})` });
        break;
      case 'too_big': out.push({ path: here, expected: bound(issue, true) }); break;
      case 'too_small': out.push({ path: here, expected: bound(issue, false) }); break;
      case 'invalid_format': out.push({ path: here, expected: expectedHere() === 'a string' ? `a string matching ${String(issue.pattern ?? issue.format)}` : expectedHere() }); break;
      case 'invalid_value': out.push({ path: here, expected: `${(issue.values as unknown[]).map((x) => JSON.stringify(x)).join(' or ')}${(issue.values as unknown[]).length > 1 ? '' : ''}` }); break;
      case 'unrecognized_keys': {
        const s = schemaAt(schema, doc, path);
        const shape = s === undefined ? undefined : defOf(s).shape as Record<string, unknown> | undefined;
        for (const key of issue.keys as string[]) {
          out.push({ path: pointer([...path, key]), expected: `no property "${key}"${shape === undefined ? '' : ` (allowed: ${Object.keys(shape).join(', ')})`}` });
        }
        break;
      }
      case 'invalid_key': out.push({ path: here, expected: `a valid key: ${(issue.issues as Issue[] | undefined)?.map((i) => i.code === 'invalid_format' ? `matching ${String(i.pattern)}` : i.message).join('; ') ?? 'a valid key'}` }); break;
      case 'invalid_union': {
        if (issue.note === 'No matching discriminator') {
          const options = ((issue.options as unknown[] | undefined) ?? []).map((x) => JSON.stringify(x)).join(', ');
          out.push({ path: here, expected: value === undefined ? `a required property "${String(path[path.length - 1])}": one of ${options}` : `one of ${options}` });
          break;
        }
        const branches = (issue.errors as Issue[][] | undefined) ?? [];
        const grade = branches.map((b) => fits(b, value));
        const deep = branches.filter((_b, i) => grade[i] === 'deep');
        const typed = branches.filter((_b, i) => grade[i] !== 'no');
        const chosen = deep.length === 1 ? deep[0] : typed.length === 1 ? typed[0] : undefined;
        if (chosen !== undefined) out.push(...problemsOf(schema, doc, chosen, path));
        else out.push({ path: here, expected: `${expectedHere()} (got ${kindOf(value)})` });
        break;
      }
      case 'custom': out.push({ path: here, expected: issue.message }); break;
      default: out.push({ path: here, expected: issue.message });
    }
  }
  return out;
}

/**
 * Validate `doc` against `schema`: the parsed value, or the problems (at most 50, the first ones by
 * place). Never throws for any input.
 */
export function validateWith<S extends z.ZodType>(schema: S, doc: unknown): { ok: true; value: z.output<S> } | { ok: false; problems: Problem[] } {
  const copy = plainCopy(doc);
  if (copy.problems.length > 0) return { ok: false, problems: copy.problems };
  const r = schema.safeParse(copy.value);
  if (r.success) return { ok: true, value: r.data };
  const seen = new Set<string>();
  const problems = problemsOf(schema, copy.value, r.error.issues as unknown as Issue[]).filter((p) => {
    const key = `${p.path}\u0000${p.expected}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { ok: false, problems: problems.slice(0, 50) };
}
