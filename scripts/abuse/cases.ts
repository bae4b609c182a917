/**
 * The abuse harness's cases (docs/robustness.md): malformed scenarios derived systematically from the
 * examples — each with the outcome a correct kernsim gives (refused, a failed check, a budget error),
 * so that an accepted one is a silent pass —, fuzzed documents, misuses of the Session API and of
 * the pure functions, and command-line invocations. `scripts/abuse/run.ts` runs them all (each
 * scenario in a child process with a watchdog, so a hang is seen as one); test/abuse.test.ts runs a
 * deterministic subset in `npm test`.
 */
import fc from 'fast-check';
import * as K from '../../src/index.ts';
import { exampleDocs, mutate, mutation, validScenario } from '../../properties/bad_input.ts';
import seed from '../../examples/seed.scenario.ts';
import seedCold from '../../examples/seed_cold_fault.scenario.ts';

/** What a correct kernsim does with a case: refuse it (ScenarioError), fail a check, or stop at a budget. */
export type Want = 'refused' | 'fail' | 'budget' | 'any';

export interface DocCase {
  readonly id: string;
  readonly klass: string;
  readonly doc: unknown;
  readonly want: Want;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

const jsonOf = (v: unknown): Json => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))) as Json;

/** The base documents: the JSON examples and the TypeScript ones as data. */
export function baseDocs(): { name: string; doc: Json }[] {
  return [...exampleDocs().map((e) => ({ name: e.name, doc: e.doc as Json })), { name: 'seed.scenario.ts', doc: jsonOf(seed) }, { name: 'seed_cold_fault.scenario.ts', doc: jsonOf(seedCold) }];
}

function places(doc: Json): { path: Path; value: Json }[] {
  const out: { path: Path; value: Json }[] = [];
  const work: { path: Path; value: Json }[] = [{ path: [], value: doc }];
  while (work.length > 0) {
    const w = work.shift() as { path: Path; value: Json };
    out.push(w);
    if (Array.isArray(w.value)) w.value.forEach((x, i) => work.push({ path: [...w.path, i], value: x }));
    else if (w.value !== null && typeof w.value === 'object') for (const [k, x] of Object.entries(w.value)) work.push({ path: [...w.path, k], value: x });
  }
  return out;
}

function withAt(doc: Json, path: Path, f: (parent: Record<string | number, Json> | Json[], key: string | number) => void): Json {
  const copy = JSON.parse(JSON.stringify(doc)) as Json;
  if (path.length === 0) return copy;
  const parent = path.slice(0, -1).reduce<Json>((v, k) => (v as Record<string | number, Json>)[k] as Json, copy) as Record<string | number, Json>;
  f(parent, path[path.length - 1] as string | number);
  return copy;
}

function setOwn(o: object, k: string | number, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

const lastKey = (p: Path): string | undefined => [...p].reverse().find((x): x is string => typeof x === 'string');
const under = (p: Path, ...prefix: (string | number)[]): boolean => prefix.every((x, i) => p[i] === x);
const inRecord = (p: Path): boolean => under(p, 'expect', 'globals') || under(p, 'expect', 'pages');
const inScript = (p: Path): boolean => p[0] === 'tasks' && p[2] === 'script';

/** Fields that take any text (so text in them is no error). */
const TEXT_FIELDS = new Set(['ret', 'seed', 'description', '$schema', 'message', 'text', 'random', 'label', 'comm']);
/** Keys whose absence is valid (optional, or defaulted). */
const OPTIONAL = new Set(['$schema', 'description', 'version', 'unverified', 'schedule', 'expect', 'size', 'content', 'cache', 'ioLatency', 'secretmem', 'ioErrors',
  'maps', 'globals', 'subprogs', 'isStatic', 'valueSize', 'taskWorkFields', 'init', 'dst', 'index', 'if', 'into', 'then', 'nth', 'message', 'exe', 'errno',
  'calls', 'results', 'refs', 'verifier', 'load', 'pages', 'runs', 'seed', 'choices', 'rodata', 'off', 'flags', 'mapExtra', 'hashrnd', 'kptrs', 'params', 'weak']);
/** Fields that name something declared elsewhere (a typo is a dangling reference). */
const REFERENCES = new Set(['to', 'global', 'buf', 'map', 'cb', 'fn', 'prog', 'program', 'object', 'into', 'exe', 'section', 'ksym']);
/** Fields with an enumerated value. */
const ENUMS = new Set(['version', 'type', 'kind', 'cmp', 'op', 'sys', 'mode', 'cache']);

/** Malformed documents derived from each base, by class; every `every`-th place of a class is taken. */
export function malformedCases(every = 1): DocCase[] {
  const out: DocCase[] = [];
  const push = (id: string, klass: string, doc: unknown, want: Want): void => { out.push({ id, klass, doc, want }); };
  for (const { name, doc } of baseDocs()) {
    const ps = places(doc);
    let n = 0;
    const take = (): boolean => (n++ % every) === 0;
    for (const { path, value } of ps) {
      const at = `${name}:/${path.join('/')}`;
      const key = lastKey(path);
      const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
      if (isObject && take()) {
        const k = ['__proto__', 'constructor', 'toString', 'colour'][out.length % 4] as string;
        const copy = JSON.parse(JSON.stringify(doc)) as Json;
        setOwn(path.reduce<Json>((v, x) => (v as Record<string | number, Json>)[x] as Json, copy) as object, k, 1);
        push(`${at}+${k}`, 'unknown key', copy, 'refused');
      }
      if (path.length === 0) continue;
      if ((isObject || Array.isArray(value)) && take()) push(`${at}=7`, 'object or array replaced by a number', withAt(doc, path, (p, k) => setOwn(p, k, isObject ? 7 : 'x')), 'refused');
      if (!isObject && !Array.isArray(value) && take()) push(`${at}={}`, 'scalar replaced by an object', withAt(doc, path, (p, k) => setOwn(p, k, {})), 'refused');
      if (typeof value === 'number' && take()) {
        push(`${at}=1.5`, 'fractional number', withAt(doc, path, (p, k) => setOwn(p, k, value + 0.5)), 'refused');
        push(`${at}=2^53+2`, 'unsafe integer as a number', withAt(doc, path, (p, k) => setOwn(p, k, 2 ** 53 + 2)), 'refused');
        if (key !== undefined && !TEXT_FIELDS.has(key)) push(`${at}="0x"`, 'bad integer text', withAt(doc, path, (p, k) => setOwn(p, k, '0x')), 'refused');
      }
      // A global's `init` may be 64 KiB (cut to its size, as C cuts an initializer): 5000 bytes are within it.
      if (typeof value === 'string' && key !== 'text' && !(key === 'init' && path.includes('globals')) && take()) push(`${at}=long`, 'string past its limit', withAt(doc, path, (p, k) => setOwn(p, k, 'x'.repeat(5000))), 'refused');
      if (typeof value === 'string' && key !== undefined && REFERENCES.has(key) && !(inScript(path) && key === 'path') && take()) {
        push(`${at}=typo`, 'dangling reference (typo)', withAt(doc, path, (p, k) => setOwn(p, k, `${value}qq`)), 'refused');
      }
      if (typeof value === 'string' && inScript(path) && (key === 'fd' || key === 'path') && take()) {
        const sys = (path.slice(0, -1).reduce<Json>((v, x) => (v as Record<string | number, Json>)[x] as Json, doc) as Record<string, Json>).sys;
        if (!(key === 'fd' && sys === 'open')) push(`${at}=typo`, 'dangling fd or path (typo)', withAt(doc, path, (p, k) => setOwn(p, k, `${value}qq`)), 'refused');
      }
      if (typeof value === 'string' && key !== undefined && ENUMS.has(key) && take()) push(`${at}=enum`, 'enum value typo', withAt(doc, path, (p, k) => setOwn(p, k, `${value}x`)), 'refused');
      if (typeof path[path.length - 1] === 'string' && !OPTIONAL.has(path[path.length - 1] as string) && !inRecord(path) && take()) {
        push(`${at}-delete`, 'required key deleted', withAt(doc, path, (p, k) => { delete (p as Record<string, Json>)[k as string]; }), 'refused');
      }
      if (inRecord(path) && path.length === 3 && take()) {
        push(`${at}-rename`, 'expectation key renamed (typo)', withAt(doc, path, (p, k) => { const v = (p as Record<string, Json>)[k as string]; delete (p as Record<string, Json>)[k as string]; setOwn(p, `${String(k)}qq`, v); }), 'refused');
      }
      const arrayName = path[path.length - 2];
      if (typeof path[path.length - 1] === 'number' && typeof arrayName === 'string' && ['files', 'objects', 'maps', 'globals', 'programs', 'subprogs'].includes(arrayName) && take()) {
        push(`${at}-dup`, 'duplicate declaration', withAt(doc, path, (p, k) => { (p as Json[]).splice(Number(k), 0, JSON.parse(JSON.stringify(value)) as Json); }), 'refused');
      }
      if (isObject && (value as Record<string, Json>).op === 'label' && take()) {
        push(`${at}-duplabel`, 'duplicate label', withAt(doc, path, (p, k) => { (p as Json[]).splice(Number(k), 0, JSON.parse(JSON.stringify(value)) as Json); }), 'refused');
      }
    }
    // The whole document: nested too deep, a wrong top-level type.
    let deep: Json = 1;
    for (let i = 0; i < 5000; i += 1) deep = { a: deep };
    push(`${name}:deep`, 'nesting past the limit', { ...(doc as Record<string, Json>), description: deep }, 'refused');
    push(`${name}:array`, 'a document that is an array', [doc], 'refused');
  }
  out.push(...semanticCases(), ...budgetCases());
  return out;
}

const T = (script: Json[]): Json => ({ comm: 't', script });
const obj = (programs: Json[], extra: Record<string, Json> = {}): Json => ({ name: 'o', globals: [{ name: 'g', kind: 'int' }, { name: 'b', kind: 'bytes', size: 8 }], maps: [{ name: 'm', type: 'array', maxEntries: 1, valueSize: 8 }], programs, ...extra });
const prog = (body: Json[], section = 'syscall'): Json => ({ name: 'p', section, body });
const R0: Json = { op: 'ret', src: { imm: 0 } };
const sc = (parts: Record<string, Json>): Json => ({ name: 'case', files: [{ path: '/f', size: 8192 }], objects: [obj([prog([R0])])], tasks: [], ...parts });

/** Hand-written cases of the kinds the issue names (references, loads, integers). */
function semanticCases(): DocCase[] {
  const c = (id: string, doc: Json, want: Want = 'refused'): DocCase => ({ id: `semantic:${id}`, klass: 'semantic', doc, want });
  return [
    c('pages of a missing file', sc({ expect: { pages: { '/nope': { uptodate: '0' } } } })),
    c('read into an unknown global', sc({ tasks: [T([{ sys: 'open', path: '/f', fd: 'f' }, { sys: 'read', fd: 'f', offset: 0, len: 8, into: 'nope' }])] })),
    c('read into an int global', sc({ tasks: [T([{ sys: 'open', path: '/f', fd: 'f' }, { sys: 'read', fd: 'f', offset: 0, len: 8, into: 'g' }])] })),
    c('read before open', sc({ tasks: [T([{ sys: 'read', fd: 'f', offset: 0, len: 8 }])] })),
    c('open a missing path', sc({ tasks: [T([{ sys: 'open', path: '/nope', fd: 'f' }])] })),
    c('exe missing', sc({ tasks: [{ comm: 't', exe: '/nope', script: [] }] })),
    c('open twice', sc({ tasks: [T([{ sys: 'open', path: '/f', fd: 'f' }, { sys: 'open', path: '/f', fd: 'f' }])] })),
    c('result of task 5', sc({ expect: { results: [{ task: 5, syscall: 0, ret: 0 }] } })),
    c('result of syscall 9', sc({ tasks: [T([{ sys: 'exit' }])], expect: { results: [{ task: 0, syscall: 9, ret: 0 }] } })),
    c('prog_test_run unknown', sc({ tasks: [T([{ sys: 'prog_test_run', prog: 'q' }])] })),
    c('set_global on bytes', sc({ tasks: [T([{ sys: 'set_global', global: 'b', value: 1 }])] })),
    c('set_global unknown', sc({ tasks: [T([{ sys: 'set_global', global: 'nope', value: 1 }])] })),
    c('map_update unknown', sc({ tasks: [T([{ sys: 'map_update', map: 'mm', key: 0 }])] })),
    c('store to bytes', sc({ objects: [obj([prog([{ op: 'store', global: 'b', src: { imm: 1 } }, R0])])] })),
    c('store with index to int', sc({ objects: [obj([prog([{ op: 'store', global: 'g', index: 0, src: { imm: 1 } }, R0])])] })),
    c('goto unknown label', sc({ objects: [obj([prog([{ op: 'goto', to: 'nope' }, R0])])] })),
    c('call unknown kfunc', sc({ objects: [obj([prog([{ op: 'call', fn: 'bpf_nope', args: [] }, R0])])] })),
    c('cb unknown', sc({ objects: [obj([prog([{ op: 'mov', dst: 'r1', src: { cb: 'nope' } }, R0])])] })),
    c('buf of an int global', sc({ objects: [obj([prog([{ op: 'mov', dst: 'r1', src: { buf: 'g' } }, R0])])] })),
    c('section typo lsm/file_opne', sc({ objects: [obj([prog([R0], 'lsm/file_opne')])] })),
    c('section unknown', sc({ objects: [obj([prog([R0], 'kprobes/x')])] })),
    c('duplicate subprog', sc({ objects: [obj([prog([R0])], { subprogs: [{ name: 's', body: [R0] }, { name: 's', body: [R0] }] })] })),
    c('subprog named like a program', sc({ objects: [obj([prog([R0])], { subprogs: [{ name: 'p', body: [R0] }] })] })),
    c('global in two objects', sc({ objects: [obj([prog([R0])]), { name: 'o2', globals: [{ name: 'g', kind: 'int' }], programs: [] }] })),
    c('expect global unknown', sc({ expect: { globals: { nope: 1 } } })),
    c('expect call unknown kfunc', sc({ expect: { calls: [{ fn: 'bpf_dynptr_raed', ret: 0 }] } })),
    c('expect verifier unknown program', sc({ expect: { verifier: [{ program: 'q', ok: true }] } })),
    c('expect runs unknown program', sc({ expect: { runs: [{ program: 'q', times: 1 }] } })),
    c('expect load unknown object', sc({ expect: { load: [{ object: 'q', ok: true }] } })),
    c('u64 past 2^64', sc({ tasks: [T([{ sys: 'user_write', addr: '18446744073709551617', text: 'x' }])] })),
    c('imm past 2^64', sc({ objects: [obj([prog([{ op: 'ret', src: { imm: '0x10000000000000000' } }])])] })),
    c('imm below -2^63', sc({ objects: [obj([prog([{ op: 'ret', src: { imm: '-9223372036854775809' } }])])] })),
    c('size past loff_t', sc({ files: [{ path: '/f', size: '0x8000000000000000' }] })),
    c('negative read offset', sc({ tasks: [T([{ sys: 'open', path: '/f', fd: 'f' }, { sys: 'read', fd: 'f', offset: -1, len: 8 }])] })),
    c('maxEntries 2^32', sc({ objects: [obj([prog([R0])], { maps: [{ name: 'm', type: 'array', maxEntries: 2 ** 32 }] })] })),
    c('six call arguments', sc({ objects: [obj([prog([{ op: 'call', fn: 'bpf_get_current_pid_tgid', args: [{ imm: 0 }, { imm: 0 }, { imm: 0 }, { imm: 0 }, { imm: 0 }, { imm: 0 }] }, R0])])] })),
    c('register named __proto__', sc({ objects: [obj([prog([{ op: 'mov', dst: '__proto__', src: { imm: 1 } }, R0])])] })),
    c('two operand keys', sc({ objects: [obj([prog([{ op: 'ret', src: { imm: 0, r: 'r0' } }])])] })),
    // Loads the kernel refuses: a failed check unless expected.
    c('verifier rejection not expected', sc({ objects: [obj([prog([{ op: 'call', fn: 'bpf_dynptr_size', args: [{ dynptr: 'd' }], dst: 'r0' }, R0])])] }), 'fail'),
    c('a map the kernel refuses without BTF too', sc({ objects: [obj([prog([R0])], { maps: [{ name: 'm', type: 'hash', maxEntries: 0 }] })] }), 'fail'),
    c('task_work in a task storage map (libbpf\'s second try, without BTF, is -EINVAL)', sc({ objects: [obj([prog([R0])], { maps: [{ name: 'm', type: 'task_storage', maxEntries: 0, flags: 1, taskWorkFields: 1 }] })] }), 'fail'),
    c('from_file on 6.18', sc({ version: '6.18', objects: [obj([prog([{ op: 'call', fn: 'bpf_dynptr_from_file', args: [{ null: true }, { imm: 0 }, { dynptr: 'd' }], dst: 'r0' }, R0])])] }), 'fail'),
    c('a leaked reference', sc({ objects: [obj([prog([{ op: 'call', fn: 'bpf_get_current_task_btf', args: [], dst: 'r6' }, { op: 'call', fn: 'bpf_get_task_exe_file', args: [{ r: 'r6' }], dst: 'r7' }, R0], 'lsm/file_open')])] }), 'fail'),
  ];
}

/** Inputs that would hang or exhaust memory without budgets. */
function budgetCases(): DocCase[] {
  const c = (id: string, doc: Json): DocCase => ({ id: `budget:${id}`, klass: 'budget', doc, want: 'budget' });
  return [
    c('random content of 5e8 bytes', sc({ files: [{ path: '/f', size: 5e8, content: { random: 'x' } }] })),
    c('warm 2^40-byte file', sc({ files: [{ path: '/f', size: 2 ** 40, cache: 'warm' }] })),
    c('array map of 2^32-1 entries', sc({ objects: [obj([prog([R0])], { maps: [{ name: 'm', type: 'array', maxEntries: 2 ** 32 - 1, valueSize: 8 }] })] })),
    c('cold read of a whole 1 GiB file', sc({ files: [{ path: '/f', size: 2 ** 30 }], tasks: [T([{ sys: 'open', path: '/f', fd: 'f' }, { sys: 'read', fd: 'f', offset: 0, len: 2 ** 30 }])] })),
    c('sleep of 2^52 ticks', sc({ tasks: [T([{ sys: 'sleep', ticks: 2 ** 52 }])] })),
    c('an endless unverified loop', sc({ unverified: true, objects: [obj([prog([{ op: 'label', name: 'l' }, { op: 'goto', to: 'l' }, R0])])], tasks: [T([{ sys: 'prog_test_run', prog: 'p' }])] })),
    c('byte globals of 4 GiB', sc({ objects: [obj([prog([R0])], { globals: [{ name: 'big', kind: 'bytes', size: 2 ** 32 - 1 }] })] })),
    c('populate 1e6 page ranges', sc({ files: [{ path: '/f', size: 2 ** 40, cache: [[0, 2 ** 30]] }] })),
  ];
}

/** Fuzzed documents (random JSON, generated and mutated scenarios); their validity is not known beforehand. */
export function fuzzCases(count: number, seedValue: number): DocCase[] {
  const examples = baseDocs().map((b) => b.doc);
  const arb = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'toString', 'name', 'files', 'objects', 'tasks', 'expect'), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
    validScenario,
    fc.tuple(validScenario, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([d, ms]) => ms.reduce<unknown>((x, m) => mutate(x, m), d)),
    fc.tuple(fc.constantFrom(...examples), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([d, ms]) => ms.reduce<unknown>((x, m) => mutate(x, m), d)),
  );
  return fc.sample(arb, { seed: seedValue, numRuns: count }).map((doc, i) => ({ id: `fuzz:${seedValue}:${i}`, klass: 'fuzz', doc, want: 'any' as const }));
}

// ---- the API ----------------------------------------------------------------------------------

export interface ApiCase {
  readonly id: string;
  readonly call: () => unknown;
}

/** Misuses of the Session API and the pure functions: each must throw a KernsimError naming its argument. */
export function apiMisuses(): ApiCase[] {
  const s = (): K.Session => {
    const x = new K.Session();
    x.createFile({ path: '/f', content: K.content.pattern(1), size: 8192 });
    return x;
  };
  const w = K.createWorld();
  const c = (id: string, call: () => unknown): ApiCase => ({ id, call });
  const goodObj = { name: 'o', maps: [], globals: [], subprogs: [], programs: [{ name: 'p', section: 'syscall', body: [K.program.ret(K.program.imm(0))] }] };
  return [
    c('new Session(null)', () => new K.Session(null as never)),
    c('new Session({version: 5})', () => new K.Session({ version: 5 as never })),
    c('new Session({sleepable: "yes"})', () => new K.Session({ sleepable: 'yes' as never })),
    c('new Session({budgets: {steps: 0}})', () => new K.Session({ budgets: { steps: 0 } })),
    c('new Session({budgets: {nope: 1}})', () => new K.Session({ budgets: { nope: 1 } as never })),
    c('new Session({colour: 1})', () => new K.Session({ colour: 1 } as never)),
    c('load(null)', () => s().load(null as never)),
    c('load({})', () => s().load({} as never)),
    c('load(programs: null)', () => s().load({ name: 'o', programs: null } as never)),
    c('load(op unknown)', () => s().load({ name: 'o', programs: [{ name: 'p', section: 'syscall', body: [{ op: 'nop' }] }] } as never)),
    c('load(imm 1.5)', () => s().load({ name: 'o', programs: [{ name: 'p', section: 'syscall', body: [{ op: 'ret', src: { imm: 1.5 } }] }] } as never)),
    c('load(imm string junk)', () => s().load({ name: 'o', programs: [{ name: 'p', section: 'syscall', body: [{ op: 'ret', src: { imm: 'zz' } }] }] } as never)),
    c('load(opts.unverified = 1)', () => s().load(goodObj, { unverified: 1 } as never)),
    c('load(section number)', () => s().load({ ...goodObj, programs: [{ name: 'p', section: 7, body: [] }] } as never)),
    c('load(__proto__ key)', () => s().load(JSON.parse('{"name":"o","programs":[],"__proto__":{"x":1}}') as never)),
    c('load(cyclic)', () => { const o: Record<string, unknown> = { name: 'o', programs: [] }; o.maps = [o]; return s().load(o as never); }),
    c('createFile(null)', () => s().createFile(null as never)),
    c('createFile({})', () => s().createFile({} as never)),
    c('createFile(path 5)', () => s().createFile({ path: 5 } as never)),
    c('createFile(relative path)', () => s().createFile({ path: 'x', size: 1 })),
    c('createFile(size 1.5)', () => s().createFile({ path: '/x', size: 1.5 })),
    c('createFile(size -1n)', () => s().createFile({ path: '/x', size: -1n })),
    c('createFile(content junk)', () => s().createFile({ path: '/x', size: 1, content: { kind: 'lol' } as never })),
    c('createFile(existing path)', () => s().createFile({ path: '/f', size: 1 })),
    c('createFile(ioLatency -1)', () => s().createFile({ path: '/x', size: 1, ioLatency: -1 })),
    c('spawn({})', () => s().spawn({} as never)),
    c('spawn(null)', () => s().spawn(null as never)),
    c('spawn(script null)', () => s().spawn({ comm: 'x', script: null } as never)),
    c('spawn(sys fork)', () => s().spawn({ comm: 'x', script: [{ sys: 'fork' }] } as never)),
    c('spawn(exe missing)', () => s().spawn({ comm: 'x', exe: '/nope', script: [] })),
    c('spawn(read offset -1)', () => s().spawn({ comm: 'x', script: [{ sys: 'read', fd: 'f', offset: -1, len: 1 }] })),
    c('open(null)', () => s().open(null as never)),
    c('open(missing)', () => s().open('/nope')),
    c('open(flags "O_RDWR|O_WRONLY")', () => s().open('/f', 'O_RDWR|O_WRONLY')),
    c('open(flags 2)', () => s().open('/f', 2 as never)),
    c('pread(file "x")', () => s().pread('x' as never, new Uint8Array(1), 0)),
    c('pread(buf [])', () => { const x = s(); return x.pread(x.open('/f'), [] as never, 0); }),
    c('pread(offset 0.5)', () => { const x = s(); return x.pread(x.open('/f'), new Uint8Array(1), 0.5); }),
    c('pwrite(bytes "ab")', () => { const x = s(); return x.pwrite(x.open('/f', 'O_RDWR'), 'ab' as never, 0); }),
    c('pwrite(file 99)', () => s().pwrite(99, new Uint8Array(1), 0)),
    c('write(file null)', () => s().write(null as never, new Uint8Array(1))),
    c('ftruncate(length "x")', () => { const x = s(); return x.ftruncate(x.open('/f', 'O_RDWR'), 'x' as never); }),
    c('fsync(file -1)', () => s().fsync(-1)),
    c('fadvise(advice "LATER")', () => { const x = s(); return x.fadvise(x.open('/f'), 0, 0, 'LATER'); }),
    c('fadvise(advice {})', () => { const x = s(); return x.fadvise(x.open('/f'), 0, 0, {} as never); }),
    c('readahead(file "x")', () => s().readahead('x' as never)),
    c('setReadahead(patch {size: -1})', () => { const x = s(); x.setReadahead(x.open('/f'), { size: -1 }); }),
    c('setReadahead(patch {prevPos: 1})', () => { const x = s(); x.setReadahead(x.open('/f'), { prevPos: 1 as never }); }),
    c('setReadahead(patch {nope: 1})', () => { const x = s(); x.setReadahead(x.open('/f'), { nope: 1 } as never); }),
    c('setReadahead(patch undefined)', () => { const x = s(); x.setReadahead(x.open('/f'), undefined as never); }),
    c('setReadAheadKb(kb 3)', () => s().setReadAheadKb('/f', 3)),
    c('setReadAheadKb(path 5)', () => s().setReadAheadKb(5 as never, 4)),
    c('createFile(blockSize 3000)', () => s().createFile({ path: '/x', size: 1, blockSize: 3000 })),
    c('createFile(maxFolioOrder 12)', () => s().createFile({ path: '/x', size: 1, maxFolioOrder: 12 })),
    c('createFile(readAheadKb 6)', () => s().createFile({ path: '/x', size: 1, readAheadKb: 6 })),
    c('createFile(maxSectorsKb "1")', () => s().createFile({ path: '/x', size: 1, maxSectorsKb: '1' as never })),
    c('get_file("x")', () => s().get_file('x' as never)),
    c('fput(999)', () => s().fput(999)),
    c('populate(null)', () => s().populate(null as never)),
    c('populate(offset 1.5)', () => s().populate('/f', 1.5)),
    c('evict(len -1)', () => s().evict('/f', 0, -1)),
    c('injectIoError(times 0)', () => s().injectIoError('/f', 0, 0)),
    c('injectAllocFailure(-1)', () => s().injectAllocFailure(-1)),
    c('reap("x")', () => s().reap('x' as never)),
    c('reap(12345)', () => s().reap(12345)),
    c('simulate({})', () => s().simulate({} as never)),
    c('simulate(chooser, {maxSteps: -1})', () => s().simulate(K.defaultChooser, { maxSteps: -1 })),
    c('step(null)', () => s().step(null as never)),
    c('global(5)', () => s().global(5 as never)),
    c('pages(null)', () => s().pages(null as never)),
    c('pages(missing)', () => s().pages('/nope')),
    c('sleepable("on")', () => s().sleepable('on' as never)),
    c('run(null)', () => s().run(null as never)),
    c('bpf_dynptr_read(null, …)', () => s().bpf_dynptr_read(null as never, 8, 'd', 0, 0)),
    c('bpf_dynptr_from_file(file "x")', () => s().bpf_dynptr_from_file('x' as never, 0, 'd')),
    c('bpf_dynptr_adjust(slot never made)', () => s().bpf_dynptr_adjust('zz', 0, 1)),
    c('bpf_dynptr_size(no args)', () => (s().bpf_dynptr_size as unknown as () => unknown)()),
    c('createWorld(null)', () => K.createWorld(null as never)),
    c('createWorld({version: "5.4"})', () => K.createWorld({ version: '5.4' as never })),
    c('transact(null, …)', () => K.transact(null as never, K.SLEEPABLE, () => 0)),
    c('transact(w, null, …)', () => K.transact(w, null as never, () => 0)),
    c('transact(w, ctx, 5)', () => K.transact(w, K.SLEEPABLE, 5 as never)),
    c('call(w, ctx, "toString")', () => (K.call as (...a: unknown[]) => unknown)(w, K.SLEEPABLE, 'toString')),
    c('bpf_dynptr_size(null, …)', () => K.bpf_dynptr_size(null as never, K.SLEEPABLE, 'd')),
    c('verify(null)', () => K.verify(null as never)),
    c('verify(obj, "9.9")', () => K.verify(goodObj, '9.9' as never)),
    c('renderC({name: 1})', () => K.renderC({ name: 1 } as never)),
    c('verifyProgram(obj, null, …)', () => K.verifyProgram(goodObj, null as never, { features: K.KERNEL_VERSIONS['6.19'], kfuncs: K.ALL_KFUNCS as never })),
    c('kfuncsOf({})', () => K.kfuncsOf({} as never)),
    c('run(w, null)', () => K.run(w, null as never)),
    c('step({}, chooser)', () => K.step({} as never, K.defaultChooser)),
    c('seededChooser(null)', () => K.seededChooser(null as never)),
    c('listChooser("x")', () => K.listChooser('x' as never)),
    c('content.bytes([1,2])', () => K.content.bytes([1, 2] as never)),
    c('content.pattern("x")', () => K.content.pattern('x' as never)),
    c('parseScenario(doc, 5)', () => K.parseScenario({}, 5 as never)),
    c('runScenario(null)', () => K.runScenario(null as never)),
    c('runScenario({})', () => K.runScenario({} as never)),
    c('runScenario(sc, {budgets: {steps: "x"}})', () => K.runScenario(K.parseScenario({ name: 'x', files: [], objects: [], tasks: [] }, 'x'), { budgets: { steps: 'x' as never } })),
    c('timelineSvg(null)', () => K.timelineSvg(null as never)),
    c('timelineHtml(w, 5)', () => K.timelineHtml(w, 5 as never)),
    c('formatTrace(null)', () => K.formatTrace(null as never)),
    c('traceEvents(5)', () => K.traceEvents(5 as never)),
    c('describeWorld({})', () => K.describeWorld({} as never)),
    c('pageMap(w, 5)', () => K.pageMap(w, 5 as never)),
    c('refSnapshot(null)', () => K.refSnapshot(null as never)),
    c('stateBytes(null)', () => K.stateBytes(null as never)),
    c('taskWorkOutcomes(null)', () => K.taskWorkOutcomes(null as never)),
    c('errnoName("x")', () => K.errnoName('x' as never)),
    c('toU64(1.5, "x")', () => K.toU64(1.5, 'x')),
    c('versionAtLeast("1", "6.19")', () => K.versionAtLeast('1' as never, '6.19')),
    c('featuresOf(null)', () => K.featuresOf(null as never)),
    c('files.createInode({}, spec)', () => K.files.createInode({} as never, { path: '/x', size: 1 })),
    c('cache.populateRange(null, …)', () => K.cache.populateRange(null as never, '/f')),
    c('settle(null)', () => K.settle(null as never)),
    c('loadObject(null, obj)', () => K.loadObject(null as never, goodObj)),
    c('spawnTask({}, task)', () => K.spawnTask({} as never, { comm: 'x', script: [] })),
    c('inTask("x")', () => s().inTask('x' as never)),
    c('createMap(null)', () => s().createMap(null as never)),
    c('createMap({type: "stack_trace"})', () => s().createMap({ type: 'stack_trace', maxEntries: 1 } as never)),
    c('createMap(maxEntries 2^32)', () => s().createMap({ type: 'array', maxEntries: 2 ** 32 })),
    c('ringbufConsume(1.5)', () => s().ringbufConsume(1.5)),
    c('ringbufConsume("nope")', () => s().ringbufConsume('nope')),
    c('ringbuf({})', () => s().ringbuf({} as never)),
    c('packet(null)', () => s().packet(null as never)),
    c('packet({kind: "tcp"})', () => s().packet({ kind: 'tcp' } as never)),
    c('packetView("x")', () => s().packetView('x' as never)),
    c('packetView(99)', () => s().packetView(99)),
    c('writeUser(pid, addr, 5)', () => s().writeUser(100, 0, 5 as never)),
    c('writeUser(pid, -1.5, "x")', () => s().writeUser(100, -1.5, 'x')),
    c('mapKernelMemory(addr, null)', () => s().mapKernelMemory(0xffff800000000000n, null as never)),
    c('mapKernelMemory(1, bytes)', () => s().mapKernelMemory(1 as never, new Uint8Array(1))),
    c('createMap(null, decl)', () => K.createMap(null as never, { name: 'm', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 0 })),
    c('userWrite(k, pid, 1, bytes)', () => K.transact(w, K.SLEEPABLE, (k) => K.userWrite(k, 100, 1 as never, new Uint8Array(1)))),
    c('packetView(null)', () => K.packetView(null as never)),
    // Issue 15's Session methods.
    c('asProgram(null, "p")', () => s().asProgram(null as never, 'p')),
    c('asProgram(99, "p")', () => s().asProgram(99, 'p')),
    c('stepAction("nope")', () => s().stepAction('nope' as never)),
    c('stepAction("irq") with none ready', () => s().stepAction('irq')),
    c('taskState("x")', () => s().taskState('x' as never)),
    c('taskResults(999)', () => s().taskResults(999)),
    c('taskWork("x")', () => (s().taskWork as (a: unknown) => unknown)('x')),
    c('taskWork("m", -1)', () => s().taskWork('m', -1)),
    c('mapUpdate("nope", 0, value)', () => s().mapUpdate('nope', 0, new Uint8Array(8))),
    c('mapLookup(1, 1.5, value)', () => s().mapLookup(1, 1.5, new Uint8Array(8))),
    c('mapDelete({}, 0)', () => s().mapDelete({} as never, 0)),
    c('mapClose(null)', () => s().mapClose(null as never)),
    c('global(obj 99, "g")', () => s().global(99, 'g')),
    c('mapId(5)', () => s().mapId(5 as never)),
    c('pageStates(null)', () => s().pageStates(null as never)),
  ];
}

// ---- the command line -------------------------------------------------------------------------

export interface CliCase {
  readonly id: string;
  readonly args: readonly string[];
  /** Files to write in the case's directory first (name → content). */
  readonly files?: Readonly<Record<string, string>>;
  /** The exit status a correct kernsim gives. */
  readonly exit: number;
}

/** Command-line invocations; `DIR` in an argument is the case's scratch directory. */
export function cliCases(): CliCase[] {
  const good = JSON.stringify(sc({ tasks: [T([{ sys: 'prog_test_run', prog: 'p' }])], expect: { results: [{ task: 0, syscall: 0, ret: 0 }] } }));
  const wrong = JSON.stringify(sc({ tasks: [T([{ sys: 'prog_test_run', prog: 'p' }])], expect: { results: [{ task: 0, syscall: 0, ret: 1 }] } }));
  const typo = JSON.stringify(sc({ objects: [obj([prog([R0], 'lsm/file_opne')])] }));
  const imm = JSON.stringify(sc({ objects: [obj([prog([{ op: 'ret', src: { imm: '-0x1' } }])])], tasks: [T([{ sys: 'prog_test_run', prog: 'p' }])] }));
  const huge = JSON.stringify(sc({ files: [{ path: '/f', size: 5e8, content: { random: 'x' } }] }));
  const c = (id: string, exit: number, args: string[], files?: Record<string, string>): CliCase => ({ id, args, exit, ...(files === undefined ? {} : { files }) });
  return [
    c('no command', 2, []),
    c('--help', 0, ['--help']),
    c('help', 0, ['help']),
    c('unknown command', 2, ['frobnicate']),
    c('run without files', 2, ['run']),
    c('run --help', 0, ['run', '--help']),
    c('run a good file', 0, ['run', 'DIR/good.json'], { 'good.json': good }),
    c('run a mismatch', 1, ['run', 'DIR/wrong.json'], { 'wrong.json': wrong }),
    c('run a missing file', 2, ['run', 'DIR/missing.json']),
    c('run a directory', 2, ['run', 'DIR']),
    c('run broken JSON', 2, ['run', 'DIR/b.json'], { 'b.json': '{' }),
    c('run an empty file', 2, ['run', 'DIR/e.json'], { 'e.json': '' }),
    c('run JSON null', 2, ['run', 'DIR/n.json'], { 'n.json': 'null' }),
    c('run a section typo', 2, ['run', 'DIR/t.json'], { 't.json': typo }),
    c('run -0x1', 0, ['run', 'DIR/i.json'], { 'i.json': imm }),
    c('run a budget case', 2, ['run', 'DIR/h.json'], { 'h.json': huge }),
    c('run many, one bad: goes on', 2, ['run', 'DIR/good.json', 'DIR/b.json', 'DIR/good.json'], { 'good.json': good, 'b.json': '{' }),
    c('run mismatch and good', 1, ['run', 'DIR/good.json', 'DIR/wrong.json'], { 'good.json': good, 'wrong.json': wrong }),
    c('run --json', 0, ['run', '--json', 'DIR/good.json'], { 'good.json': good }),
    c('run --json with an error', 2, ['run', '--json', 'DIR/b.json'], { 'b.json': '{' }),
    c('run --seed 7', 0, ['run', '--seed', '7', 'DIR/good.json'], { 'good.json': good }),
    c('run --seed text', 0, ['run', '--seed', 'abc', 'DIR/good.json'], { 'good.json': good }),
    c('run --seed 2^60', 2, ['run', '--seed', '1152921504606846976', 'DIR/good.json'], { 'good.json': good }),
    c('run --seed without value', 2, ['run', 'DIR/good.json', '--seed'], { 'good.json': good }),
    c('run --budget steps=5', 2, ['run', '--budget', 'steps=5', 'examples/seed.scenario.ts']),
    c('run --budget nonsense', 2, ['run', '--budget', 'x', 'DIR/good.json'], { 'good.json': good }),
    c('run --budget steps=0', 2, ['run', '--budget', 'steps=0', 'DIR/good.json'], { 'good.json': good }),
    c('run --budget bytes=1e12', 0, ['run', '--budget', 'bytes=1e12', 'DIR/good.json'], { 'good.json': good }),
    c('run unknown option', 2, ['run', '--frob', 'DIR/good.json'], { 'good.json': good }),
    c('run a .ts that throws', 2, ['run', 'DIR/x.scenario.ts'], { 'x.scenario.ts': 'throw new Error("boom");\nexport default {};\n' }),
    c('run a .ts without default export', 2, ['run', 'DIR/y.scenario.ts'], { 'y.scenario.ts': 'export const z = 1;\n' }),
    c('run a .ts with a syntax error', 2, ['run', 'DIR/z.scenario.ts'], { 'z.scenario.ts': 'export default {{{;\n' }),
    c('run a module exporting a scenario with a bigint', 0, ['run', 'DIR/w.scenario.mts'], { 'w.scenario.mts': `export default ${good.replace('"imm":0}', '"imm":0n}')};\n` }),
    c('trace a good file', 0, ['trace', 'DIR/good.json'], { 'good.json': good }),
    c('trace two files', 2, ['trace', 'DIR/good.json', 'DIR/good.json'], { 'good.json': good }),
    c('trace a bad file', 2, ['trace', 'DIR/b.json'], { 'b.json': '{' }),
    c('trace --timeline into a missing dir', 2, ['trace', 'DIR/good.json', '--timeline', 'DIR/nope/t.svg'], { 'good.json': good }),
    c('trace --timeline into a file path that is a directory', 2, ['trace', 'DIR/good.json', '--timeline', 'DIR'], { 'good.json': good }),
    c('trace --timeline ok', 0, ['trace', 'DIR/good.json', '--timeline', 'DIR/t.html'], { 'good.json': good }),
    c('explain a kfunc', 0, ['explain', 'bpf_dynptr_read']),
    c('explain a typo', 2, ['explain', 'bpf_dynptr_raed']),
    c('explain nothing', 2, ['explain']),
    c('explain --list', 0, ['explain', '--list']),
    c('render --c', 0, ['render', 'DIR/good.json', '--c'], { 'good.json': good }),
    c('render without --c', 2, ['render', 'DIR/good.json'], { 'good.json': good }),
    c('render a bad file', 2, ['render', 'DIR/b.json', '--c'], { 'b.json': '{' }),
    c('replay without args', 2, ['replay']),
    c('replay --seed abc', 2, ['replay', '--seed', 'abc', '--path', '1']),
    c('replay --path junk', 2, ['replay', '--seed', '1', '--path', 'a:b']),
    c('replay --property nope', 2, ['replay', '--seed', '1', '--path', '1', '--property', 'nope']),
    c('replay --property bad regex', 2, ['replay', '--seed', '1', '--path', '1', '--property', '(']),
  ];
}
