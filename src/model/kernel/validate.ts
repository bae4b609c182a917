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

/**
 * A container being copied: its children's values (read once, from the last to the first, before any
 * is copied), the copy they go into, and where the container is (for the JSON Pointer of a problem).
 */
interface Frame {
  /** The object's keys (an array's children are its indices). */
  readonly keys: readonly string[] | null;
  /** The children's values as read. */
  readonly vals: unknown[];
  readonly out: unknown[] | Record<string, unknown>;
  /** The next child to copy, and one past the last. */
  i: number;
  readonly end: number;
  /** The depth of the children. */
  readonly depth: number;
  /** The container holding this one (null for the document), and this one's key in it. */
  readonly up: Frame | null;
  readonly key: Seg;
}

/** The JSON Pointer of child `key` of `frame` (of the document itself when `frame` is null). */
function pointerAt(frame: Frame | null, key: Seg | undefined): string {
  const segs: Seg[] = key === undefined ? [] : [key];
  for (let f = frame; f !== null && f.up !== null; f = f.up) segs.push(f.key);
  // The document's own frame has no key: it is the last one reached (`f.up === null`).
  return pointer(segs.reverse());
}

/**
 * Store `v` as the own data property `key` of a plain object. An assignment creates an own property
 * unless `Object.prototype` answers to the name with a setter or a read-only property (`__proto__`,
 * which is refused before it gets here, or any inherited name once `Object.prototype` is frozen):
 * those keys are defined instead of assigned, so nothing goes through the prototype.
 */
function setOwn(target: Record<string, unknown>, key: string, v: unknown): void {
  if (key in target) Object.defineProperty(target, key, { value: v, enumerable: true, writable: true, configurable: true });
  else target[key] = v;
}

/**
 * A plain JSON copy of `doc` (bigints as decimal text), or the problems that stopped it. Iterative:
 * the cost is linear in the document and the stack depth constant. The values are visited depth
 * first, each container's children in order (each container's children are read, from the last to
 * the first, when the container is reached: a getter that throws is a problem at the container).
 */
export function plainCopy(doc: unknown, limits: { depth: number; nodes: number; string: number } = { depth: LIMITS.depth, nodes: LIMITS.nodes, string: LIMITS.content }): { value: unknown; problems: Problem[] } {
  const problems: Problem[] = [];
  let root: unknown;
  const stack: Frame[] = [];
  let nodes = 0;
  // The value to copy next: the document, then each container's children in turn.
  let frame: Frame | null = null;
  let key: Seg | undefined;
  let src: unknown = doc;
  let depth = 0;
  for (;;) {
    if (problems.length >= 50) break;
    nodes += 1;
    if (nodes > limits.nodes) {
      problems.push({ path: pointerAt(frame, key), expected: `a document of at most ${limits.nodes} values` });
      break;
    }
    // The copy, and whether it goes in its place (not when the value is a problem).
    let out: unknown = src;
    let put = true;
    let next: Frame | null = null;
    try {
      if (src === null || typeof src === 'boolean') { /* copied as it is */ }
      else if (typeof src === 'number') {
        if (!Number.isFinite(src)) {
          put = false;
          problems.push({ path: pointerAt(frame, key), expected: `a finite number (got ${src})` });
        }
      } else if (typeof src === 'string') {
        if (src.length > limits.string) {
          put = false;
          problems.push({ path: pointerAt(frame, key), expected: `a string of at most ${limits.string} characters (got ${src.length})` });
        }
      } else if (typeof src === 'bigint') out = src.toString();
      else if (typeof src === 'object' && (Array.isArray(src) || isPlainObject(src))) {
        if (depth >= limits.depth) {
          put = false;
          problems.push({ path: pointerAt(frame, key), expected: `a document nested at most ${limits.depth} levels deep` });
        } else if (Array.isArray(src)) {
          const arr: unknown[] = new Array<unknown>(src.length);
          out = arr;
          // (`length` is read again, as a proxy could answer differently.)
          const n = src.length;
          const vals: unknown[] = n === arr.length ? new Array<unknown>(n) : [];
          const f: Frame = { keys: null, vals, out: arr, i: n, end: n, depth: depth + 1, up: frame, key: key ?? '' };
          next = f;
          // Read from the last to the first; a read that throws leaves the ones after it to copy.
          for (let i = n - 1; i >= 0; i -= 1) {
            vals[i] = (src as unknown[])[i];
            f.i = i;
          }
        } else {
          const obj: Record<string, unknown> = {};
          out = obj;
          const keys = Object.keys(src);
          const vals = new Array<unknown>(keys.length);
          const f: Frame = { keys, vals, out: obj, i: keys.length, end: keys.length, depth: depth + 1, up: frame, key: key ?? '' };
          next = f;
          for (let i = keys.length - 1; i >= 0; i -= 1) {
            const k = keys[i] as string;
            // No format has a `__proto__` key (names exclude it), and some code would treat it as the
            // object's prototype: it is refused wherever it appears.
            if (k === '__proto__') problems.push({ path: pointerAt(f, k), expected: 'no key "__proto__" (it names no field of the format)' });
            else vals[i] = (src as Record<string, unknown>)[k];
            f.i = i;
          }
        }
      } else {
        put = false;
        problems.push({ path: pointerAt(frame, key), expected: src === undefined ? 'a JSON value (got undefined)' : `a JSON value (got ${kindOf(src)})` });
      }
    } catch (e) {
      // A container made before the read that threw is in place.
      put = out !== src;
      problems.push({ path: pointerAt(frame, key), expected: `a readable value (reading it threw ${e instanceof Error ? e.name : 'an exception'})` });
    }
    // Put the copy in its place (the container before its children: the keys keep their order).
    if (!put) { /* nothing goes in its place */ }
    else if (frame === null) root = out;
    else if (frame.keys === null) (frame.out as unknown[])[key as number] = out;
    else setOwn(frame.out as Record<string, unknown>, key as string, out);
    if (next !== null) stack.push(next);
    // The next value: the next child of the innermost container that has one left.
    let found = false;
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as Frame;
      if (top.keys === null) {
        if (top.i < top.end) {
          frame = top; key = top.i; src = top.vals[top.i]; depth = top.depth; top.i += 1; found = true;
          break;
        }
      } else {
        let j = top.i;
        // An object's `__proto__` key and its undefined values are not copied.
        while (j < top.end && (top.vals[j] === undefined || top.keys[j] === '__proto__')) j += 1;
        if (j < top.end) {
          frame = top; key = top.keys[j] as string; src = top.vals[j]; depth = top.depth; top.i = j + 1; found = true;
          break;
        }
        top.i = j;
      }
      stack.pop();
    }
    if (!found) break;
  }
  return { value: root, problems };
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
