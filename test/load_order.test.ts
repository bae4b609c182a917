/**
 * The order in which loading an object fails (src/scheduler/setup.ts `loadObject`), read in libbpf
 * 1.1.2's `bpf_object__load` (the loader of the conformance tiers): `bpf_object__resolve_externs`,
 * then `bpf_object__create_maps` (a refusal prints "map '<name>': failed to create: <strerror>(<err>)"
 * and closes the maps made before), then `bpf_object__load_progs` (each autoloaded program in
 * order: `bpf_object_load_prog`, whose first check is a program type left unset by an unknown
 * section, "missing BPF prog type", -EINVAL; then the kernel's verifier); on any failure
 * `bpf_object_unload` closes every map. Expected values come from that source, not from the model.
 */
import { describe, expect, test } from 'vitest';
import { LoadError, program as P, Session, verify, type BpfObject, type MapDecl, type Op, type Program } from '../src/index.ts';
import { strerror } from '../src/model/kernel/errno.ts';

const EINVAL = -22;
const E2BIG = -7;

const prog = (name: string, body: Op[], section = 'tc'): Program => ({ name, section, locals: [], body: [...body, P.ret(P.imm(0))] });
/** A program the verifier refuses: it reads R0, which nothing wrote ("R0 !read_ok"). */
const unreadable = (name: string): Program => prog(name, [P.mov('x', P.r('r0'))]);
const fine = (name: string): Program => prog(name, []);
/** `bpf_dynptr_from_file` is a 6.19 kfunc: libbpf cannot resolve it on 6.18. */
const newKfunc = (name: string): Program => prog(name, [P.call('bpf_dynptr_from_file', [P.NULL, P.imm(0), P.dynptr('d')], 'e'), P.call('bpf_dynptr_file_discard', [P.dynptr('d')])]);
const good: MapDecl = { name: 'a', type: 'hash', maxEntries: 4, valueSize: 8, taskWorkFields: 0 };
/** An ARRAY map with a value of 0 bytes: array_map_alloc_check refuses it with -EINVAL. */
const badMap: MapDecl = { name: 'b', type: 'array', maxEntries: 4, valueSize: 0, taskWorkFields: 0 };
const object = (programs: Program[], maps: MapDecl[] = []): BpfObject => ({ name: 'o', maps, globals: [], subprogs: [], programs });

function loadError(s: Session, o: BpfObject, opts?: Parameters<Session['load']>[1]): LoadError {
  try {
    s.load(o, opts);
  } catch (e) {
    if (e instanceof LoadError) return e;
    throw e;
  }
  throw new Error('the load succeeded');
}

const mapOps = (s: Session): string[] => s.events().flatMap((e) => (e.kind === 'map' ? [`${e.map} ${e.op}`] : []));

describe('strerror, as libbpf prints an errno', () => {
  test('glibc\'s words; the kernel-internal ENOTSUPP has none', () => {
    expect(strerror(22)).toBe('Invalid argument');
    expect(strerror(7)).toBe('Argument list too long');
    expect(strerror(95)).toBe('Operation not supported');
    expect(strerror(524)).toBe('Unknown error 524');
    expect(() => strerror(0)).toThrow(/a positive errno/);
  });
});

describe('the order of bpf_object__load', () => {
  test('a refused map fails the load before any program is verified: the map\'s errno and libbpf\'s message', () => {
    const s = new Session();
    const e = loadError(s, object([unreadable('p')], [good, badMap]));
    expect(e.errno).toBe(EINVAL);
    expect(e.map).toBe('b');
    expect(e.verifier).toBeNull();
    expect(e.detail).toBe("libbpf: map 'b': failed to create: Invalid argument(-22)");
    // The program never reached the verifier: no verdict in the trace.
    expect(s.events().some((ev) => ev.kind === 'verifier')).toBe(false);
    // b, declared with BTF, is tried again without it (libbpf's "Retrying without BTF."), and refused again.
    expect(mapOps(s)).toEqual(['a create', 'b create', 'b create_no_btf', 'a uref_put', 'a free']);
  });

  test('the errno a map is refused with is in the words (-E2BIG: a hash whose value is 4 MiB)', () => {
    const e = loadError(new Session(), object([fine('p')], [{ name: 'big', type: 'hash', maxEntries: 4, valueSize: 1 << 22, taskWorkFields: 0 }]));
    expect(e.errno).toBe(E2BIG);
    expect(e.detail).toBe("libbpf: map 'big': failed to create: Argument list too long(-7)");
  });

  test('libbpf tries a map the kernel refused with BTF once more without it: the errno is the second try\'s', () => {
    // A TASK_STORAGE value over 65,407 bytes: -E2BIG with BTF, then -EINVAL (it needs BTF).
    const s = new Session();
    const e = loadError(s, object([fine('p')], [{ name: 'big', type: 'task_storage', maxEntries: 0, valueSize: 65408, taskWorkFields: 0, flags: 1 }]));
    expect(e.errno).toBe(EINVAL);
    expect(s.events().flatMap((ev) => (ev.kind === 'map' ? [`${ev.op} ${ev.ret}`] : []))).toEqual(['create -7', 'create_no_btf -22']);
    // A ring buffer is declared without BTF: no second try.
    const r = new Session();
    loadError(r, object([fine('p')], [{ name: 'rb', type: 'ringbuf', maxEntries: 4095, valueSize: 0, taskWorkFields: 0 }]));
    expect(mapOps(r)).toEqual(['rb create']);
  });

  test('special fields refused with BTF become plain bytes: the programs are verified against the map as made', () => {
    // An ARRAY value with two bpf_task_work fields (-E2BIG with BTF): 24 plain bytes, which a program may read.
    const twoTw: MapDecl = { name: 'm', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 2 };
    const read: Program = { name: 'p', section: 'tc', locals: [P.local('k', { bytes: 4 }, 'zero')], body: [
      P.call('bpf_map_lookup_elem', [P.map('m'), P.buf('k')], 'v'), P.goto('out', P.when('v', '==', P.imm(0))), P.ld('x', 8, P.r('v'), 16), P.label('out'), P.ret(P.imm(0)),
    ] };
    const s = new Session();
    s.load(object([read], [twoTw]));
    expect([...s.world.maps.values()][0]?.valueSize).toBe(24);
    // verify, which makes no maps, predicts the second try from the fields (map_check_btf) and agrees.
    expect(verify(object([read], [twoTw]), '7.2')[0]?.ok).toBe(true);
    // With one bpf_task_work the map keeps its BTF, and the same read of the field's bytes is refused.
    const oneTw: MapDecl = { ...twoTw, taskWorkFields: 1 };
    const readField: Program = { ...read, body: read.body.map((op) => (op.op === 'ld' ? { ...op, off: 8 } : op)) };
    expect(verify(object([readField], [oneTw]), '7.2')[0]?.ok).toBe(false);
    expect(loadError(new Session(), object([readField], [oneTw])).verifier).not.toBeNull();
  });

  test('a refused program fails the load after the maps were made; they are closed and freed', () => {
    const s = new Session();
    const e = loadError(s, object([fine('p'), unreadable('q')], [good]));
    expect(e.map).toBeNull();
    expect(e.verifier).toMatch(/^q: R0 !read_ok/);
    expect(mapOps(s)).toEqual(['a create', 'a uref_put', 'a free']);
    const kinds = s.events().filter((ev) => ev.kind === 'map' || ev.kind === 'verifier').map((ev) => ev.kind);
    expect(kinds).toEqual(['map', 'verifier', 'map', 'map']);
    expect([...s.world.maps.values()]).toEqual([]);
  });

  test('an unresolved extern fails the load before the maps, and before an earlier program\'s own problem', () => {
    const s = new Session({ version: '6.18' });
    // The first program's section is unknown; the second calls a kfunc 6.18 does not have; a map is refused too.
    const e = loadError(s, object([prog('p', [], 'nosuch'), newKfunc('q')], [badMap]));
    expect(e.errno).toBe(EINVAL);
    expect(e.verifier).toContain("'bpf_dynptr_from_file': not found in kernel or module BTFs");
    expect(mapOps(s)).toEqual([]);
    // Loaded alone (verify), the first program meets the extern first too.
    expect(verify(object([prog('p', [], 'nosuch'), newKfunc('q')]), '6.18')[0]?.message).toContain('not found in kernel or module BTFs');
  });

  test('an unknown section: libbpf leaves the type unset and bpf_object_load_prog fails with -EINVAL', () => {
    const [v] = verify(object([prog('p', [], 'nosuch')]), '7.2');
    expect(v?.ok).toBe(false);
    expect(v?.errno).toBe(EINVAL);
    expect(v?.message).toBe("libbpf: prog 'p': missing BPF prog type, check ELF section name 'nosuch'");
    expect(loadError(new Session(), object([prog('p', [], 'nosuch')])).errno).toBe(EINVAL);
  });

  test('programs load in order: the first refused one is reported', () => {
    const e = loadError(new Session(), object([fine('a1'), unreadable('b1'), prog('c1', [], 'nosuch')]));
    expect(e.verifier).toMatch(/^b1: /);
    const e2 = loadError(new Session(), object([fine('a1'), prog('c1', [], 'nosuch'), unreadable('b1')]));
    expect(e2.verifier).toMatch(/^c1: libbpf: prog 'c1': missing BPF prog type/);
  });
});

describe('noAutoload (bpf_program__set_autoload(prog, false))', () => {
  test('a program turned off is neither verified nor loaded', () => {
    const s = new Session();
    s.load(object([fine('p'), unreadable('q')], [good]), { noAutoload: ['q'] });
    expect([...s.world.objects.values()][0]?.progs.has('q')).toBe(false);
    expect([...s.world.objects.values()][0]?.progs.has('p')).toBe(true);
  });
  test('the maps are still made, so a refused map still fails the load; so does an extern of a program turned off', () => {
    expect(loadError(new Session(), object([fine('p')], [badMap]), { noAutoload: ['p'] }).map).toBe('b');
    expect(loadError(new Session({ version: '6.18' }), object([fine('p'), newKfunc('q')]), { noAutoload: ['q'] }).errno).toBe(EINVAL);
  });
  test('a name that is not a program of the object is a typed error', () => {
    expect(() => new Session().load(object([fine('p')]), { noAutoload: ['nope'] })).toThrow(/opts\.noAutoload.*the name of a program of o/);
  });
});
