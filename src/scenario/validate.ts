/**
 * A validator for the JSON Schema subset the scenario schema uses (type, properties, required,
 * additionalProperties, items, minItems/maxItems, enum, const, oneOf, $ref to $defs, minimum,
 * minLength, pattern). Each problem names its place as a JSON Pointer and what was expected.
 */
export interface Problem {
  /** JSON Pointer into the document, e.g. `/tasks/0/script/2/sys`. */
  readonly path: string;
  readonly expected: string;
}

type Schema = { readonly [k: string]: unknown };

const esc = (k: string | number): string => String(k).replace(/~/g, '~0').replace(/\//g, '~1');

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function describe(s: Schema): string {
  if ('const' in s) return JSON.stringify(s.const);
  if ('enum' in s) return `one of ${(s.enum as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`;
  if (typeof s.type === 'string') return s.type === 'integer' ? 'an integer' : `a${/^[aeiou]/.test(s.type) ? 'n' : ''} ${s.type}`;
  return 'a valid value';
}

/** The property every option pins with a `const` (the tag of a tagged union), if there is one. */
function discriminator(options: readonly Schema[]): string | null {
  const first = options[0]?.properties as Record<string, Schema> | undefined;
  if (first === undefined) return null;
  for (const key of Object.keys(first)) {
    if (options.every((o) => { const p = (o.properties as Record<string, Schema> | undefined)?.[key]; return p !== undefined && 'const' in p; })) return key;
  }
  return null;
}

export function validate(root: Schema, value: unknown): Problem[] {
  const defs = (root.$defs ?? {}) as Record<string, Schema>;
  const resolve = (s: Schema): Schema => {
    const ref = s.$ref;
    if (typeof ref === 'string' && ref.startsWith('#/$defs/')) return defs[ref.slice(8)] ?? {};
    return s;
  };
  const check = (s0: Schema, v: unknown, path: string): Problem[] => {
    const s = resolve(s0);
    if ('oneOf' in s) {
      const options = (s.oneOf as Schema[]).map(resolve);
      const results = options.map((o) => check(o, v, path));
      if (results.some((r) => r.length === 0)) return [];
      // Name the problem of the option the value meant (same discriminating const), else list them.
      const meant = options.findIndex((o) => {
        const props = o.properties as Record<string, Schema> | undefined;
        if (props === undefined || typeof v !== 'object' || v === null) return false;
        return Object.entries(props).some(([k, p]) => 'const' in p && (v as Record<string, unknown>)[k] === p.const);
      });
      if (meant >= 0) return results[meant] ?? [];
      // A discriminating property (`sys`, `op`) whose value names no option: say which values exist.
      const disc = discriminator(options);
      if (disc !== null && typeof v === 'object' && v !== null && !Array.isArray(v) && disc in v) {
        const values = options.map((o) => ((o.properties as Record<string, Schema>)[disc] as Schema).const);
        return [{ path: `${path}/${esc(disc)}`, expected: `one of ${values.map((x) => JSON.stringify(x)).join(', ')}` }];
      }
      const keyed = options.findIndex((o) => typeof v === 'object' && v !== null && Array.isArray(o.required) && (o.required as string[]).every((k) => k in v));
      if (keyed >= 0) return results[keyed] ?? [];
      return [{ path: path || '/', expected: options.map(describeOption).join(' or ') }];
    }
    if ('const' in s && v !== s.const) return [{ path: path || '/', expected: describe(s) }];
    if ('enum' in s && !(s.enum as unknown[]).includes(v)) return [{ path: path || '/', expected: describe(s) }];
    if (typeof s.type === 'string') {
      const t = typeOf(v);
      const ok = t === s.type || (s.type === 'number' && t === 'integer');
      if (!ok) return [{ path: path || '/', expected: describe(s) }];
    }
    const out: Problem[] = [];
    if (typeof v === 'number' && typeof s.minimum === 'number' && v < s.minimum) out.push({ path: path || '/', expected: `a number >= ${s.minimum}` });
    if (typeof v === 'string') {
      if (typeof s.minLength === 'number' && v.length < s.minLength) out.push({ path: path || '/', expected: 'a non-empty string' });
      if (typeof s.pattern === 'string' && !new RegExp(s.pattern).test(v)) out.push({ path: path || '/', expected: `a string matching ${s.pattern}` });
    }
    if (Array.isArray(v)) {
      if (typeof s.minItems === 'number' && v.length < s.minItems) out.push({ path: path || '/', expected: `at least ${s.minItems} items` });
      if (typeof s.maxItems === 'number' && v.length > s.maxItems) out.push({ path: path || '/', expected: `at most ${s.maxItems} items` });
      if (s.items !== undefined) v.forEach((x, i) => out.push(...check(s.items as Schema, x, `${path}/${i}`)));
    }
    if (typeOf(v) === 'object') {
      const obj = v as Record<string, unknown>;
      const props = (s.properties ?? {}) as Record<string, Schema>;
      for (const r of (s.required ?? []) as string[]) if (!(r in obj)) out.push({ path: `${path}/${esc(r)}`, expected: `a required property "${r}"` });
      for (const [k, x] of Object.entries(obj)) {
        if (k in props) out.push(...check(props[k] as Schema, x, `${path}/${esc(k)}`));
        else if (s.additionalProperties === false) out.push({ path: `${path}/${esc(k)}`, expected: `no property "${k}" (allowed: ${Object.keys(props).join(', ')})` });
        else if (typeof s.additionalProperties === 'object' && s.additionalProperties !== null) out.push(...check(s.additionalProperties as Schema, x, `${path}/${esc(k)}`));
      }
    }
    return out;
  };
  const describeOption = (o: Schema): string => {
    const props = o.properties as Record<string, Schema> | undefined;
    const req = (o.required ?? []) as string[];
    if (props !== undefined && req.length > 0) return `{${req.map((k) => (props[k] !== undefined && 'const' in (props[k] as Schema) ? `"${k}": ${JSON.stringify((props[k] as Schema).const)}` : `"${k}"`)).join(', ')}}`;
    return describe(o);
  };
  return check(root, value, '');
}
