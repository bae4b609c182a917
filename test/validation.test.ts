/**
 * Bad input gets a precise error (its place and what was expected), never a crash, a hang or a silent
 * pass: integers written as text, references checked at parse time, load failures, budgets, the
 * limits of the format, keys that JavaScript treats specially, and the public API's argument checks.
 */
import { readFileSync } from 'node:fs';
import { HELP } from '../src/cli/help.ts';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { plainCopy } from '../src/model/kernel/validate.ts';
import {
  ArgumentError, BudgetError, content, createWorld, DEFAULT_BUDGETS, parseIntText, parseScenario, program as P, runScenario,
  ScenarioError, Session, transact, SLEEPABLE, call, verify, renderC, seededChooser, listChooser, UnknownHandleError, readyActions, type BpfObject,
  bpf_dynptr_size, defaultChooser, describeWorld, NON_SLEEPABLE, run,
} from '../src/index.ts';

const EXAMPLES = join(import.meta.dirname, '..', 'examples');
const bounds = (): Record<string, unknown> => JSON.parse(readFileSync(join(EXAMPLES, 'bounds.json'), 'utf8')) as Record<string, unknown>;

function problems(doc: unknown): { path: string; expected: string }[] {
  try {
    parseScenario(doc, 'doc.json');
  } catch (e) {
    if (e instanceof ScenarioError) return [...e.problems];
    throw e;
  }
  return [];
}

/** A scenario with one `syscall` program returning `src`, run by one task with `prog_test_run`. */
function retScenario(src: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'ret', files: [], tasks: [{ comm: 't', script: [{ sys: 'prog_test_run', prog: 'p' }] }],
    objects: [{ name: 'o', programs: [{ name: 'p', section: 'syscall', body: [{ op: 'ret', src }] }] }], ...extra,
  };
}

describe('integers written as text: one sign-aware parser', () => {
  test('parseIntText reads the sign, then the magnitude, and checks the range of the kind', () => {
    expect(parseIntText('-0x1', 'reg64')).toBe(-1n);
    expect(parseIntText('9007199254740993', 'u64')).toBe(9007199254740993n);
    expect(parseIntText('0xffffffffffffffff', 'u64')).toBe(2n ** 64n - 1n);
    expect(parseIntText('18446744073709551617', 'u64')).toMatch(/an integer in \[0, 18446744073709551615\]/);
    expect(parseIntText('-1', 'u64')).toMatch(/an integer in/);
    expect(parseIntText('0x', 'u64')).toMatch(/decimal or 0x/);
    expect(parseIntText('1e3', 'u64')).toMatch(/decimal or 0x/);
    expect(parseIntText('-9223372036854775808', 's64')).toBe(-(2n ** 63n));
    expect(parseIntText('9223372036854775808', 's64')).toMatch(/an integer in/);
  });

  test('a program returning {"imm": "-0x1"} runs and returns -1 (not a SyntaxError)', () => {
    const run = runScenario(parseScenario(retScenario({ imm: '-0x1' }, { expect: { results: [{ task: 0, syscall: 0, ret: -1 }] } }), 'ret.json'));
    // Negative results read as errno names (-1 is -EPERM) on both sides.
    expect(run.checks).toEqual([{ what: 'task 0 syscall #0 (prog_test_run)', ok: true, expected: '-EPERM', actual: '-EPERM' }]);
    expect(run.session.world.tasks.values().next().value?.results).toEqual([-1n]);
  });

  test('9007199254740993 as text keeps every digit; as a JSON number it is refused with the way out', () => {
    const sc = parseScenario(retScenario({ imm: '9007199254740993' }), 'x');
    const op = sc.objects[0]?.programs[0]?.body[0];
    expect(op?.op === 'ret' && 'imm' in op.src ? op.src.imm : null).toBe(9007199254740993n);
    const [p, more] = problems(JSON.parse(JSON.stringify(retScenario({ imm: 0 })).replace('"imm":0', '"imm":9007199254740993')));
    expect(more).toBeUndefined();
    expect(p?.path).toBe('/objects/0/programs/0/body/0/src/imm');
    expect(p?.expected).toMatch(/write larger values as text/);
  });

  test('2^64 + 1 where a u64 is expected is an error naming the place, not 0', () => {
    const doc = retScenario({ imm: 0 });
    (doc.tasks as { script: unknown[] }[])[0]?.script.unshift({ sys: 'user_write', addr: '18446744073709551617', text: 'x' });
    expect(problems(doc)).toEqual([{ path: '/tasks/0/script/0/addr', expected: expect.stringContaining('[0, 18446744073709551615] (u64)') }]);
    expect(problems(retScenario({ imm: '0x10000000000000001' }))).toEqual([{ path: '/objects/0/programs/0/src/imm'.replace('/src', '/body/0/src'), expected: expect.stringContaining('(reg64)') }]);
  });
});

describe('references are checked when a scenario is parsed', () => {
  const withProgram = (body: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    name: 'r', files: [{ path: '/f', size: 4096 }], tasks: [],
    objects: [{ name: 'o', globals: [{ name: 'ran', kind: 'int' }, { name: 'buf', kind: 'bytes', size: 8 }], maps: [{ name: 'm', type: 'array', maxEntries: 1, valueSize: 8 }], programs: [{ name: 'p', section: 'syscall', body }], subprogs: [{ name: 'cb', body: [{ op: 'ret', src: { imm: 0 } }] }] }],
    ...extra,
  });
  const ret0 = { op: 'ret', src: { imm: 0 } };

  test('a section typo: refused, with the hook it was meant to be', () => {
    const doc = withProgram([ret0]);
    ((doc.objects as { programs: { section: string }[] }[])[0]?.programs[0] as { section: string }).section = 'lsm/file_opne';
    const [p] = problems(doc);
    expect(p?.path).toBe('/objects/0/programs/0/section');
    expect(p?.expected).toContain('did you mean "lsm/file_open"');
    ((doc.objects as { programs: { section: string }[] }[])[0]?.programs[0] as { section: string }).section = 'sycsall';
    expect(problems(doc)[0]?.expected).toContain('did you mean "syscall"');
  });

  test('a tp_btf tracepoint typo: refused when parsed, with the tracepoint; loaded anyway, libbpf\'s -ESRCH', () => {
    const doc = withProgram([ret0]);
    const prog = (doc.objects as { programs: { section: string }[] }[])[0]?.programs[0] as { section: string };
    prog.section = 'tp_btf/task_newtsk';
    const [p] = problems(doc);
    expect(p?.path).toBe('/objects/0/programs/0/section');
    expect(p?.expected).toContain('a raw tracepoint that exists');
    expect(p?.expected).toContain('did you mean "tp_btf/task_newtask"');
    prog.section = 'tp_btf/sched_switch';
    expect(problems(doc)).toEqual([]);
    const v = verify({ name: 'o', maps: [], globals: [], subprogs: [], programs: [{ name: 'p', section: 'tp_btf/task_newtsk', body: [P.ret(P.imm(0))] }] }, '6.18')[0];
    expect([v?.message, v?.errno]).toEqual(["libbpf: prog 'p': failed to find kernel BTF type ID of 'task_newtsk': -3", -3]);
  });

  test('kfuncs, labels, globals, maps and callbacks name what exists, with did-you-mean', () => {
    const doc = withProgram([
      { op: 'call', fn: 'bpf_dynptr_raed', args: [] },
      { op: 'goto', to: 'ot' },
      { op: 'store', global: 'rna', src: { imm: 1 } },
      { op: 'mov', dst: 'r1', src: { map: 'mm' } },
      { op: 'mov', dst: 'r2', src: { cb: 'cbb' } },
      { op: 'label', name: 'out' },
      ret0,
    ]);
    expect(problems(doc)).toEqual([
      { path: '/objects/0/programs/0/body/0/fn', expected: expect.stringContaining('did you mean "bpf_dynptr_read"') },
      { path: '/objects/0/programs/0/body/1/to', expected: expect.stringContaining('did you mean "out"') },
      { path: '/objects/0/programs/0/body/2/global', expected: expect.stringContaining('did you mean "ran"') },
      { path: '/objects/0/programs/0/body/3/src/map', expected: expect.stringContaining('did you mean "m"') },
      { path: '/objects/0/programs/0/body/4/src/cb', expected: expect.stringContaining('did you mean "cb"') },
    ]);
  });

  test('duplicate names are refused: globals, programs, maps, labels, files, objects', () => {
    const doc = withProgram([{ op: 'label', name: 'out' }, { op: 'label', name: 'out' }, ret0]);
    const o = (doc.objects as Record<string, unknown>[])[0] as Record<string, unknown[]>;
    o.globals?.push({ name: 'ran', kind: 'int' });
    o.maps?.push({ name: 'm', type: 'hash', maxEntries: 1 });
    o.programs?.push({ name: 'p', section: 'syscall', body: [ret0] });
    (doc.files as unknown[]).push({ path: '/f', size: 1 });
    (doc.objects as unknown[]).push({ name: 'o', programs: [] });
    expect(problems(doc).map((p) => p.path).sort()).toEqual([
      '/files/1/path', '/objects/0/globals/2/name', '/objects/0/maps/1/name', '/objects/0/programs/0/body/1/name',
      '/objects/0/programs/1/name', '/objects/1/name',
    ]);
  });

  test('expect.pages of a file that does not exist fails; read … into an unknown global is refused', () => {
    const doc = withProgram([ret0], {
      tasks: [{ comm: 't', script: [{ sys: 'open', path: '/f', fd: 'f' }, { sys: 'read', fd: 'f', offset: 0, len: 8, into: 'bfu' }] }],
      expect: { pages: { '/g': { uptodate: '0' } } },
    });
    expect(problems(doc)).toEqual([
      { path: '/tasks/0/script/1/into', expected: expect.stringContaining('did you mean "buf"') },
      { path: '/expect/pages/~1g', expected: expect.stringContaining("the path of one of the scenario's files") },
    ]);
  });

  test('fds: read before open, a typo, and an open of a name still open', () => {
    const doc = withProgram([ret0], { tasks: [{ comm: 't', script: [
      { sys: 'read', fd: 'f', offset: 0, len: 1 },
      { sys: 'open', path: '/f', fd: 'fd1' },
      { sys: 'close', fd: 'fd2' },
      { sys: 'open', path: '/f', fd: 'fd1' },
      { sys: 'close', fd: 'fd1' },
      { sys: 'read', fd: 'fd1', offset: 0, len: 1 },
    ] }] });
    expect(problems(doc)).toEqual([
      { path: '/tasks/0/script/0/fd', expected: expect.stringContaining('an fd name this task opened earlier') },
      { path: '/tasks/0/script/2/fd', expected: expect.stringContaining('did you mean "fd1"') },
      { path: '/tasks/0/script/3/fd', expected: expect.stringContaining('not open at this point') },
    ]);
  });

  test('a forked child\'s script is checked too, starting with the names its parent had open at the fork (copy_files)', () => {
    const doc = withProgram([ret0], { tasks: [{ comm: 't', script: [
      { sys: 'open', path: '/f', fd: 'a' },
      { sys: 'fork', script: [
        { sys: 'read', fd: 'a', offset: 0, len: 1 },
        { sys: 'close', fd: 'b' },
        { sys: 'fork', script: [{ sys: 'set_global', global: 'bfu', value: 1 }, { sys: 'open', path: '/f', fd: 'a' }] },
      ] },
      { sys: 'open', path: '/f', fd: 'b' },
    ] }] });
    expect(problems(doc)).toEqual([
      { path: '/tasks/0/script/1/script/1/fd', expected: expect.stringContaining('an fd name this task opened earlier') },
      { path: '/tasks/0/script/1/script/2/script/0/global', expected: expect.stringContaining('did you mean "buf"') },
      { path: '/tasks/0/script/1/script/2/script/1/fd', expected: expect.stringContaining('not open at this point') },
    ]);
  });

  test('expectations name tasks, syscalls, programs, objects and kfuncs that exist', () => {
    const doc = withProgram([ret0], { expect: {
      results: [{ task: 3, syscall: 0, ret: 0 }], verifier: [{ program: 'q', ok: true }], load: [{ object: 'oo', ok: true }],
      calls: [{ fn: 'bpf_dynptr_szie', ret: 0 }], runs: [{ program: 'cbb', times: 1 }], globals: { rann: 1 },
    } });
    expect(problems(doc).map((p) => p.path)).toEqual(['/expect/globals/rann', '/expect/calls/0/fn', '/expect/results/0/task', '/expect/verifier/0/program', '/expect/load/0/object', '/expect/runs/0/program']);
  });
});

describe('names C would make clash are refused (src/model/program/names.ts): one C file, one ELF object', () => {
  const { r, imm, glob, buf, store, mov, ret, call } = P;
  const obj = (over: Record<string, unknown>, body: unknown[], locals?: unknown[]) => ({
    name: 'o', maps: [], globals: [{ name: 'g', kind: 'int' }, { name: 'b', kind: 'bytes', size: 8 }], subprogs: [],
    programs: [{ name: 'p', section: 'syscall', body, ...(locals === undefined ? {} : { locals }) }], ...over,
  }) as never;
  const refused = (o: never): ArgumentError => {
    try { verify(o); } catch (e) { if (e instanceof ArgumentError) return e; throw e; }
    throw new Error('accepted');
  };

  test('a map and a global, or a global and a program, with one name: one C file scope', () => {
    const e = refused(obj({ maps: [{ name: 'g', type: 'array', maxEntries: 1, valueSize: 8 }] }, [ret(imm(0))]));
    expect(e.argument).toBe('obj.globals[0].name');
    expect(e.message).toContain('map g (/maps/0)');
    expect(refused(obj({ globals: [{ name: 'p', kind: 'int' }] }, [ret(imm(0))])).argument).toBe('obj.programs[0].name');
    expect(() => renderC(obj({ globals: [{ name: '_license', kind: 'int' }] }, [ret(imm(0))]))).toThrow(/license symbol renderC writes/);
    expect(() => new Session().load(obj({ maps: [{ name: 'b', type: 'array', maxEntries: 1, valueSize: 8 }] }, [ret(imm(0))]))).toThrow(ArgumentError);
  });

  test('a register that hides a global the function stores to, or reaches through buf; an unused one is C shadowing, accepted', () => {
    // The model writes the global; C would write the local `__u64 g` that renderC declares for the register.
    expect(refused(obj({}, [mov('g', glob('g')), store('g', imm(1)), ret(imm(0))])).message).toContain('register g hides global g');
    expect(refused(obj({}, [mov('b', imm(0)), call('bpf_get_prandom_u32', [], 'x'), store('g', r('x')), mov('y', buf('b')), ret(r('b'))])).message).toContain('register b hides global b');
    expect(verify(obj({}, [mov('g', imm(1)), ret(r('g'))]))[0]?.ok).toBe(true);
  });

  test('a stack variable hiding a global the function reaches only through addr/buf is the selftests\' shape (C and the model both read the local)', () => {
    const o = obj({}, [P.st(8, P.addr('b'), 0, imm(5)), P.ld('x', 8, P.addr('b'), 0), ret(r('x'))], [{ name: 'b', type: { bytes: 8 } }]);
    expect(verify(o)[0]?.ok).toBe(true);
    expect(renderC(o)).toMatch(/\n\t(char|__u8) b\[8\]/);
    // ...but not one the function also names as the global.
    expect(refused(obj({}, [store('g', imm(1)), ret(imm(0))], [{ name: 'g', type: 'u64' }])).message).toContain('g hides global g');
  });

  test('C keywords name nothing: a global, a register, a label', () => {
    expect(refused(obj({ globals: [{ name: 'return', kind: 'int' }] }, [ret(imm(0))])).message).toContain('a C keyword');
    expect(refused(obj({}, [mov('int', imm(1)), ret(r('int'))])).message).toContain('int is one');
    expect(refused(obj({}, [P.label('while'), ret(imm(0))])).message).toContain('while is one');
  });

  test('two stack variables with one name, or a stack variable and a register: declared twice', () => {
    expect(refused(obj({}, [ret(imm(0))], [{ name: 'x', type: 'u64' }, { name: 'x', type: 'u32' }])).message).toContain('another stack variable');
    expect(refused(obj({}, [mov('x', imm(1)), ret(r('x'))], [{ name: 'x', type: 'u64' }])).message).toContain('register x');
  });

  test('a scenario gets the same problems at their place; across objects the scenario-wide rule stays', () => {
    const doc = retScenario({ imm: 0 });
    const o = (doc.objects as Record<string, unknown>[])[0] as Record<string, unknown>;
    o.maps = [{ name: 'p', type: 'hash', maxEntries: 1 }];
    expect(problems(doc)).toEqual([{ path: '/objects/0/programs/0/name', expected: expect.stringContaining('has the name of map p (/maps/0)') }]);
  });
});

describe('a load failure is a failed scenario unless the scenario expects it', () => {
  const refused = (expectations: Record<string, unknown>): Record<string, unknown> => ({
    name: 'l', files: [], tasks: [],
    objects: [{ name: 'o', programs: [{ name: 'p', section: 'syscall', body: [{ op: 'call', fn: 'bpf_dynptr_size', args: [{ dynptr: 'd' }], dst: 'r0' }, { op: 'ret', src: { imm: 0 } }] }] }],
    expect: expectations,
  });

  test('not expected: a failed check naming the object and the verifier message', () => {
    const run = runScenario(parseScenario(refused({}), 'l.json'));
    expect(run.ok).toBe(false);
    // process_dynptr_func refuses an uninitialized dynptr with -EINVAL (conformance v_size_uninit).
    expect(run.checks).toEqual([{ what: 'load of o', ok: false, expected: expect.stringContaining('loaded'), actual: expect.stringMatching(/^refused with -EINVAL: p: /) }]);
  });

  test('expect.load with the errno, or expect.verifier on its program: a pass', () => {
    expect(runScenario(parseScenario(refused({ load: [{ object: 'o', ok: false, errno: '-EINVAL' }] }), 'l.json')).ok).toBe(true);
    expect(runScenario(parseScenario(refused({ load: [{ object: 'o', ok: false, errno: '-EACCES' }] }), 'l.json')).ok).toBe(false);
    expect(runScenario(parseScenario(refused({ load: [{ object: 'o', ok: false, errno: '-E2BIG' }] }), 'l.json')).ok).toBe(false);
    expect(runScenario(parseScenario(refused({ verifier: [{ program: 'p', ok: false }] }), 'l.json')).ok).toBe(true);
    expect(runScenario(parseScenario(refused({ load: [{ object: 'o', ok: true }] }), 'l.json')).ok).toBe(false);
  });
});

describe('a load that fails at a map', () => {
  test('the maps made before it are closed and freed, as libbpf closes them (bpf_object_unload): the world keeps none', () => {
    const s = new Session();
    const bad: BpfObject = { name: 'bad', globals: [], subprogs: [], programs: [], maps: [
      { name: 'a', type: 'hash', maxEntries: 4, valueSize: 8, taskWorkFields: 0 },
      { name: 'r', type: 'ringbuf', maxEntries: 4096, valueSize: 0, taskWorkFields: 0 },
      { name: 'b', type: 'hash', maxEntries: 0, valueSize: 8, taskWorkFields: 0 },
    ] };
    expect(() => s.load(bad)).toThrow(expect.objectContaining({ errno: -22 }));
    expect([...s.world.maps.values()]).toEqual([]);
    // The trace says what happened to each: made, its fd closed, freed (b, declared with BTF, is tried
    // again without it, as libbpf does, and refused again).
    const ops = s.events().filter((e) => e.kind === 'map').map((e) => (e.kind === 'map' ? `${e.map} ${e.op}` : ''));
    expect(ops).toEqual(['a create', 'r create', 'b create', 'b create_no_btf', 'a uref_put', 'a free', 'r uref_put', 'r free']);
    // A later object's map of the same name is the only one.
    s.load({ ...bad, name: 'good', maps: [{ name: 'a', type: 'hash', maxEntries: 4, valueSize: 8, taskWorkFields: 0 }] });
    expect([...s.world.maps.values()].map((m) => m.name)).toEqual(['a']);
  });
});

describe('budgets', () => {
  const sleeper = (ticks: number): Record<string, unknown> => ({ name: 'long', files: [], objects: [], tasks: [{ comm: 't', script: [{ sys: 'sleep', ticks }] }] });

  test('virtual time: a BudgetError naming the scenario and the budget; raised by an option', () => {
    const sc = parseScenario(sleeper(2 ** 52), 'long.json');
    const e = (() => { try { runScenario(sc); } catch (x) { return x; } return null; })();
    expect(e).toBeInstanceOf(BudgetError);
    expect((e as BudgetError).budget).toBe('time');
    expect((e as BudgetError).message).toContain('scenario "long": the time budget');
    expect(runScenario(sc, { budgets: { time: 2 ** 53 - 1 } }).ok).toBe(true);
  });

  test('steps: a scenario past the steps budget', () => {
    expect(() => runScenario(parseScenario(sleeper(10), 's.json'), { budgets: { steps: 2 } })).toThrow(/the steps budget \(2\) is exhausted/);
  });

  test('bytes: random content of 5e8 bytes, maxEntries 2^32 - 1, a warm 2^40-byte file are refused before they cost', () => {
    const base = { name: 'big', objects: [], tasks: [] };
    expect(() => runScenario(parseScenario({ ...base, files: [{ path: '/r', size: 5e8, content: { random: 'x' } }] }, 'b'))).toThrow(/the bytes budget .* random content of \/r needs 500000000 bytes/);
    expect(() => runScenario(parseScenario({ ...base, files: [{ path: '/w', size: 2 ** 40, cache: 'warm' }] }, 'b'))).toThrow(BudgetError);
    const maps = { ...base, files: [], objects: [{ name: 'o', maps: [{ name: 'm', type: 'array', maxEntries: 2 ** 32 - 1, valueSize: 8 }], programs: [] }] };
    expect(() => runScenario(parseScenario(maps, 'b'))).toThrow(/preallocating 4294967295 element\(s\) of map m/);
    expect(problems({ ...maps, objects: [{ name: 'o', maps: [{ name: 'm', type: 'array', maxEntries: 2 ** 32 }], programs: [] }] })).toEqual([{ path: '/objects/0/maps/0/maxEntries', expected: 'an integer <= 4294967295' }]);
  });

  test('ops: an unverified endless loop stops at the ops budget', () => {
    const doc = { name: 'loop', unverified: true, files: [], tasks: [{ comm: 't', script: [{ sys: 'prog_test_run', prog: 'p' }] }],
      objects: [{ name: 'o', programs: [{ name: 'p', section: 'syscall', body: [{ op: 'label', name: 'top' }, { op: 'goto', to: 'top' }, { op: 'ret', src: { imm: 0 } }] }] }] };
    expect(() => runScenario(parseScenario(doc, 'loop.json'), { budgets: { ops: 1000 } })).toThrow(/scenario "loop": the ops budget \(1000\) is exhausted: p ran more than 1000 operations/);
  });

  test('a cold read of a whole 1 GiB file: 262,144 reads in flight, the next actions listed without a stack overflow', () => {
    // One readahead window for the whole request: a device whose max_sectors_kb (io_pages) is 1 GiB
    // lets the first window be the request (ractl_max_pages: min(req, io_pages) > ra_pages).
    const s = new Session({ budgets: { bytes: 2 ** 31 } });
    s.createFile({ path: '/g', content: content.zero(), size: 2 ** 30, maxSectorsKb: 2 ** 20 });
    s.spawn({ comm: 't', script: [{ sys: 'open', path: '/g', fd: 'f' }, { sys: 'read', fd: 'f', offset: 0, len: 2 ** 30 }] });
    while (s.world.io.size === 0 && s.step());
    expect(s.world.io.size).toBe(2 ** 18);
    const actions = readyActions(s.world);
    expect(actions.filter((a) => a.kind === 'io').length).toBeGreaterThan(0);
  });

  test('with the default bytes budget, the same read is refused as it starts (1 GiB of pages)', () => {
    const doc = { name: 'cold', files: [{ path: '/g', size: 2 ** 30, maxSectorsKb: 2 ** 20 }], objects: [],
      tasks: [{ comm: 't', script: [{ sys: 'open', path: '/g', fd: 'f' }, { sys: 'read', fd: 'f', offset: 0, len: 2 ** 30 }] }] };
    expect(() => runScenario(parseScenario(doc, 'cold.json'))).toThrow(/scenario "cold": the bytes budget \(268435456\) is exhausted: reading page/);
  });

  test('the defaults are documented values, and --help (written without loading the model) says the same', () => {
    expect(DEFAULT_BUDGETS).toEqual({ steps: 1_000_000, time: 1e12, ops: 1_000_000, bytes: 256 * 1024 * 1024 });
    for (const cmd of ['run', 'trace']) {
      expect(HELP[cmd]).toContain(`steps=${DEFAULT_BUDGETS.steps}`);
      expect(HELP[cmd]).toContain(`time=${DEFAULT_BUDGETS.time} ticks`);
      expect(HELP[cmd]).toContain(`ops=${DEFAULT_BUDGETS.ops} per program run`);
      expect(HELP[cmd]).toContain(`bytes=${DEFAULT_BUDGETS.bytes}`);
    }
  });
});

describe('limits of the format and keys JavaScript treats specially', () => {
  test('a 5,000-deep object is refused at its place, not a stack overflow', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 5000; i += 1) deep = { a: deep };
    const [p] = problems({ ...bounds(), description: deep });
    expect(p?.expected).toBe('a document nested at most 32 levels deep');
    expect(p?.path.split('/').length).toBe(33);
  });

  test('a cyclic TypeScript value is refused, not a hang', () => {
    const doc = bounds();
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    doc.description = cyc;
    expect(problems(doc)[0]?.expected).toContain('nested at most');
  });

  test('__proto__, constructor and toString as keys: refused where no such key exists, Object.prototype untouched', () => {
    for (const key of ['__proto__', 'constructor', 'toString']) {
      const text = `{"${key}":{"polluted":1},${JSON.stringify(bounds()).slice(1)}`;
      const [p] = problems(JSON.parse(text));
      expect(p).toEqual({ path: `/${key}`, expected: expect.stringMatching(key === '__proto__' ? /no key "__proto__"/ : new RegExp(`no property "${key}"`)) });
      const g = JSON.parse(JSON.stringify({ ...bounds(), expect: { globals: JSON.parse(`{"${key}": 1}`) } })) as unknown;
      expect(problems(g)[0]?.path).toBe(`/expect/globals/${key}`);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('a 100,000-deep array is refused at its place, not a stack overflow', () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expect(plainCopy(deep).problems).toEqual([{ path: '/0'.repeat(32), expected: 'a document nested at most 32 levels deep' }]);
  });

  test('the copy of JSON data is the same data: keys in their order, each an own property', () => {
    // An independent copy: structuredClone keeps -0, key order and every own key.
    const noProtoKey = (v: unknown): boolean => v === null || typeof v !== 'object' || (!Object.prototype.hasOwnProperty.call(v, '__proto__') && Object.values(v).every(noProtoKey));
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 8 }).filter(noProtoKey), (doc) => {
      const r = plainCopy(doc);
      expect(r.problems).toEqual([]);
      expect(r.value).toStrictEqual(structuredClone(doc));
      if (doc !== null && typeof doc === 'object') expect(r.value).not.toBe(doc);
    }), { numRuns: 200 });
    const named = plainCopy({ constructor: 1, toString: 'x', hasOwnProperty: [2] }).value as Record<string, unknown>;
    expect(Object.getOwnPropertyDescriptor(named, 'constructor')).toEqual({ value: 1, writable: true, enumerable: true, configurable: true });
    expect(Object.keys(named)).toEqual(['constructor', 'toString', 'hasOwnProperty']);
    expect(Object.getPrototypeOf(named)).toBe(Object.prototype);
    expect(plainCopy({ a: 1n, b: [undefined] }).problems).toEqual([{ path: '/b/0', expected: 'a JSON value (got undefined)' }]);
    expect(plainCopy({ a: -5n, b: undefined })).toEqual({ value: { a: '-5' }, problems: [] });
  });

  test('a getter that throws is a problem at its container; the values read before it are still checked, depth first', () => {
    // The children are read from the last to the first when the container is reached.
    const doc = { a: [NaN], get b(): unknown { throw new RangeError('no'); }, c: Infinity };
    expect(plainCopy(doc).problems).toEqual([
      { path: '', expected: 'a readable value (reading it threw RangeError)' },
      { path: '/c', expected: 'a finite number (got Infinity)' },
    ]);
    const ok = { a: [NaN, { x: 1n, y: () => 1 }], b: 'long text', __proto__: null } as unknown;
    expect(plainCopy(ok, { depth: 32, nodes: 100, string: 4 }).problems).toEqual([
      { path: '/a/0', expected: 'a finite number (got NaN)' },
      { path: '/a/1/y', expected: 'a JSON value (got a function)' },
      { path: '/b', expected: 'a string of at most 4 characters (got 9)' },
    ]);
    expect(plainCopy([[1, 2], [3, [4]]], { depth: 32, nodes: 5, string: 10 }).problems).toEqual([{ path: '/1/0', expected: 'a document of at most 5 values' }]);
  });

  test('constructor and toString are ordinary names of registers and globals', () => {
    const doc = retScenario({ r: 'constructor' });
    const body = (doc.objects as { programs: { body: unknown[] }[] }[])[0]?.programs[0]?.body;
    body?.unshift({ op: 'mov', dst: 'constructor', src: { imm: 7 } }, { op: 'store', global: 'toString', src: { r: 'constructor' } });
    (doc.objects as Record<string, unknown>[])[0] = { ...(doc.objects as Record<string, unknown>[])[0], globals: [{ name: 'toString', kind: 'int' }] };
    const run = runScenario(parseScenario({ ...doc, expect: { globals: { toString: 7 }, results: [{ task: 0, syscall: 0, ret: 7 }] } }, 'names.json'));
    expect(run.checks.filter((c) => !c.ok)).toEqual([]);
  });

  test('sizes, counts and lengths have limits', () => {
    const doc = retScenario({ imm: 0 });
    const body = (doc.objects as { programs: { body: unknown[] }[] }[])[0]?.programs[0]?.body as unknown[];
    for (let i = 0; i < 5000; i += 1) body.unshift({ op: 'label', name: `l${i}` });
    expect(problems(doc)).toEqual([{ path: '/objects/0/programs/0/body', expected: 'at most 4096 items' }]);
    expect(problems({ ...retScenario({ imm: 0 }), name: 'x'.repeat(300) })).toEqual([{ path: '/name', expected: 'at most 256 characters' }]);
    expect(problems(retScenario({ r: 'r'.repeat(65) }))[0]?.expected).toBe('at most 64 characters');
  });
});

describe('the public API refuses wrong shapes with ArgumentError naming the argument', () => {
  const misuse = (f: () => unknown): ArgumentError => {
    try {
      f();
    } catch (e) {
      if (e instanceof ArgumentError) return e;
      throw new Error(`expected an ArgumentError, got ${String(e)}`);
    }
    throw new Error('expected an ArgumentError, nothing was thrown');
  };

  test('Session methods', () => {
    const s = new Session();
    expect(misuse(() => s.load(null as never)).argument).toBe('obj');
    expect(misuse(() => s.createFile(null as never)).argument).toBe('spec');
    expect(misuse(() => s.spawn({} as never)).argument).toBe('task.comm');
    expect(misuse(() => s.spawn({ comm: 'x', script: [{ sys: 'clone3' }] } as never)).argument).toBe('task.script[0].sys');
    expect(misuse(() => s.load({ name: 'o', programs: [{ name: 'p', section: 'syscall', body: [{ op: 'ret', src: { imm: 1.5 } }] }] } as never)).argument).toBe('obj.programs[0].body[0].src.imm');
    expect(misuse(() => s.open(null as never)).argument).toBe('path');
    expect(misuse(() => s.sleepable('yes' as never)).argument).toBe('on');
    expect(misuse(() => s.simulate({} as never)).argument).toBe('chooser');
    expect(misuse(() => s.global(5 as never)).argument).toBe('name');
    expect(misuse(() => new Session({ version: '5.10' as never })).argument).toBe('version');
    expect(misuse(() => new Session({ budgets: { steps: -1 } })).argument).toBe('opts.budgets.steps');
    expect(misuse(() => s.createFile({ path: '/x', content: { kind: 'bytes' } as never })).argument).toMatch(/^spec\.content/);
    expect(() => s.pages('/nope')).toThrow(UnknownHandleError);
    // A rejected call leaves the session as it was.
    expect(s.world.objects.size).toBe(0);
  });

  test('pure functions', () => {
    expect(misuse(() => transact(null as never, SLEEPABLE, () => 0)).argument).toBe('world');
    expect(misuse(() => transact(createWorld(), null as never, () => 0)).argument).toBe('ctx');
    expect(misuse(() => (call as (...a: unknown[]) => unknown)(createWorld(), SLEEPABLE, 'toString')).argument).toBe('name');
    expect(misuse(() => verify({ name: 'o' } as never)).argument).toBe('obj.programs');
    expect(misuse(() => renderC(null as never)).argument).toBe('obj');
    expect(misuse(() => seededChooser({} as never)).argument).toBe('seed');
    expect(misuse(() => listChooser([0, 0.5])).argument).toBe('choices[1]');
    expect(misuse(() => content.pattern('x' as never)).argument).toBe('seed');
    expect(misuse(() => parseScenario({}, 5 as never)).argument).toBe('source');
    expect(misuse(() => runScenario(null as never)).argument).toBe('scenario');
  });

  test('a copy of a world is not a world: every entry refuses it, naming the world, before any of it is read', () => {
    const s = new Session();
    expect(s.bpf_dynptr_from_mem(new Uint8Array(8), 8, 0, 'd')).toBe(0);
    const w = s.world;
    // The same fields (a spread copy), and what JSON keeps of them: neither is a world.
    const copies: unknown[] = [{ ...w }, Object.assign(Object.create(Object.getPrototypeOf(w) as object) as object, w), JSON.parse(JSON.stringify({ version: w.version, clock: w.clock, budgets: w.budgets }))];
    for (const copy of copies) {
      expect(misuse(() => bpf_dynptr_size(copy as never, NON_SLEEPABLE, 'd')).argument).toBe('world');
      expect(misuse(() => transact(copy as never, SLEEPABLE, () => 0)).argument).toBe('world');
      expect(misuse(() => run(copy as never, defaultChooser)).argument).toBe('world');
      expect(misuse(() => describeWorld(copy as never)).argument).toBe('world');
      // A session's world is a field its user may set: the next call refuses what it holds, and leaves it.
      const t = new Session();
      t.world = copy as never;
      const e = misuse(() => t.bpf_dynptr_size('d'));
      expect(e.argument).toBe('world');
      expect(e.message).toContain('not a copy of one');
      expect(t.world).toBe(copy);
    }
    // The world itself still is one, and answers.
    expect(bpf_dynptr_size(w, NON_SLEEPABLE, 'd').ret).toBe(8n);
  });

  test('a program value with a bigint immediate is accepted as it is written in TypeScript', () => {
    const s = new Session();
    s.load({ name: 'o', maps: [], globals: [], subprogs: [], programs: [{ name: 'p', section: 'syscall', body: [P.ret(P.imm(2n ** 64n - 1n))] }] });
    expect(s.world.objects.size).toBe(1);
  });
});
