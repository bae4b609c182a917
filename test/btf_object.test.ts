/**
 * An object whose BTF the kernel refuses (src/model/btf/object.ts). Expected values come from the
 * sources: kernel/bpf/btf.c `btf_parse_struct_metas` parses every struct with a kptr member, and
 * `btf_parse_kptr` fails a referenced kptr whose type has no destructor kfunc (`btf_find_dtor_kfunc`:
 * -ENOENT); libbpf 1.1.2's `bpf_object__sanitize_and_load_btf` then says "BTF is optional, ignoring."
 * and goes on without it: `bpf_object__create_map` passes no btf_fd, `bpf_object_load_prog` no
 * func_info; verifier.c `bpf_subprog_is_global` reads the linkage from func_info, `check_ld_imm`
 * refuses a callback's address without it ("missing btf func_info", -EINVAL), and
 * `process_kptr_func` refuses a map without BTF ("map '%s' has to have BTF in order to use
 * bpf_kptr_xchg", -EINVAL, the name as BPF_MAP_CREATE got it: 15 characters).
 */
import { describe, expect, test } from 'vitest';
import { LoadError, objectBtfRefusal, program as P, renderC, Session, verify, type BpfObject, type MapDecl, type Op, type Program, type Subprog } from '../src/index.ts';

const EINVAL = -22;
const ENOENT = -2;

const fileKptr = (name: string, untrusted = false): MapDecl => ({ name, type: 'hash', maxEntries: 4, valueSize: 8, taskWorkFields: 0, kptrs: [{ name: 'f', type: 'file', ...(untrusted ? { untrusted } : {}) }] });
const prog = (name: string, body: Op[], locals: Program['locals'] = []): Program => ({ name, section: 'syscall', locals, body: [...body, P.ret(P.imm(0))] });
const object = (maps: MapDecl[], programs: Program[], subprogs: Subprog[] = []): BpfObject => ({ name: 'o', maps, globals: [{ name: 'val', kind: 'bytes', size: 16 }], subprogs, programs });
/** Insert key 0 of `m` and look it up into `v` (to `out` when NULL). */
const lookup = (m: string): Op[] => [
  P.call('bpf_map_update_elem', [P.map(m), P.imm(0), P.buf('val'), P.imm(0)], 'u'),
  P.call('bpf_map_lookup_elem', [P.map(m), P.imm(0)], 'v'), P.goto('out', P.when('v', '==', P.NULL)),
];
const cb: Subprog = { name: 'cb', isStatic: true, params: [{ name: 'i', type: 'u32' }, { name: 'c', type: 'ptr' }], body: [P.ret(P.imm(0))] };
const loops = (name: string): Program => ({ name, section: 'syscall', locals: [], body: [P.call('bpf_loop', [P.imm(3), P.cb('cb'), P.NULL, P.imm(0)], 'n'), P.ret(P.r('n'))] });

function loadError(s: Session, o: BpfObject): LoadError {
  try {
    s.load(o);
  } catch (e) {
    if (e instanceof LoadError) return e;
    throw e;
  }
  throw new Error('the load succeeded');
}

describe('which BTF the kernel refuses (BPF_BTF_LOAD)', () => {
  test('a referenced kptr of a structure without a destructor: -ENOENT, naming the map and field', () => {
    expect(objectBtfRefusal(object([fileKptr('a'), fileKptr('b')], []))).toEqual({ errno: ENOENT, map: 'a', field: 'f', struct: 'file' });
    const inode: MapDecl = { name: 'i', type: 'array', maxEntries: 1, valueSize: 0, taskWorkFields: 0, kptrs: [{ name: 'ino', type: 'inode' }] };
    expect(objectBtfRefusal(object([inode], []))?.struct).toBe('inode');
  });

  test('an untrusted kptr, or a referenced task kptr (bpf_task_release_dtor), leaves the BTF alone', () => {
    expect(objectBtfRefusal(object([fileKptr('a', true)], []))).toBeNull();
    expect(objectBtfRefusal(object([{ name: 't', type: 'array', maxEntries: 1, valueSize: 0, taskWorkFields: 0, kptrs: [{ name: 't', type: 'task_struct' }] }], []))).toBeNull();
  });

  test('the C the kernel refuses is what renderC writes: the value struct with its __kptr member', () => {
    const c = renderC(object([fileKptr('a')], [prog('p', [])]));
    expect(c).toMatch(/struct file __kptr \*f;/);
  });
});

describe('libbpf loads the object without BTF', () => {
  test('the map is made without fields: its bytes take a store where the field was, and the trace says why', () => {
    const s = new Session();
    s.load(object([fileKptr('a')], [prog('p', [...lookup('a'), P.st(8, P.kptr('v', 'f'), 0, P.imm(5)), P.ld('x', 8, P.kptr('v', 'f')), P.ret(P.r('x')), P.label('out')])]));
    expect(s.progTestRun('p').retval).toBe(5);
    const btf = s.events().filter((e) => e.kind === 'btf');
    expect(btf).toHaveLength(1);
    expect(btf[0]).toMatchObject({ object: 'o', ret: ENOENT });
    // With the BTF loaded (an untrusted kptr), a scalar store into the field is refused instead.
    const t = new Session();
    expect(loadError(t, object([fileKptr('a', true)], [prog('p', [...lookup('a'), P.st(8, P.kptr('v', 'f'), 0, P.imm(5)), P.label('out')])])).errno).toBeLessThan(0);
    expect(t.events().some((e) => e.kind === 'btf')).toBe(false);
  });

  test('bpf_kptr_xchg on a map made without BTF: refused, with the name BPF_MAP_CREATE got (15 characters)', () => {
    const s = new Session();
    const e = loadError(s, object([fileKptr('a_very_long_map_name')], [prog('p', [...lookup('a_very_long_map_name'), P.call('bpf_kptr_xchg', [P.kptr('v', 'f'), P.NULL], 'o'), P.label('out')])]));
    expect(e.errno).toBe(EINVAL);
    expect(e.detail).toBe("p: map 'a_very_long_map' has to have BTF in order to use bpf_kptr_xchg");
  });

  test('without func_info every function is static: a global function is verified with its caller\'s arguments', () => {
    const g: Subprog = { name: 'g', isStatic: false, returns: 'int', params: [{ name: 'p', type: 'ptr' }], body: [P.ld('y', 8, P.r('p')), P.ret(P.r('y'))] };
    const main = prog('p', [P.st(8, P.addr('x'), 0, P.imm(7)), P.call('g', [P.addr('x')], 'a'), P.ret(P.r('a'))], [{ name: 'x', type: 'u64', init: 'zero' }]);
    // As a global function, its `void *` argument may be NULL: the load through it is refused.
    expect(verify(object([], [main], [g]))[0]?.ok).toBe(false);
    expect(verify(object([fileKptr('a')], [main], [g]))[0]?.ok).toBe(true);
    const s = new Session();
    s.load(object([fileKptr('a')], [main], [g]));
    expect(s.progTestRun('p').retval).toBe(7);
  });

  test('without func_info a callback\'s address is refused (-EINVAL); with the BTF loaded bpf_loop runs', () => {
    const refused = verify(object([fileKptr('a')], [loops('p')], [cb]))[0];
    expect(refused).toMatchObject({ ok: false, message: 'missing btf func_info', errno: EINVAL });
    const s = new Session();
    expect(loadError(s, object([fileKptr('a')], [loops('p')], [cb])).errno).toBe(EINVAL);
    const t = new Session();
    t.load(object([fileKptr('a', true)], [loops('p')], [cb]));
    expect(t.progTestRun('p').retval).toBe(3);
  });

  test('a task storage map, which needs BTF, fails the load beside such a kptr (-EINVAL)', () => {
    const s = new Session();
    const e = loadError(s, object([fileKptr('a'), { name: 'ts', type: 'task_storage', maxEntries: 0, valueSize: 8, taskWorkFields: 0, flags: 1 }], [prog('p', [])]));
    expect(e.errno).toBe(EINVAL);
    expect(e.map).toBe('ts');
    expect(e.detail).toBe("libbpf: map 'ts': failed to create: Invalid argument(-22)");
  });

  test('nor a task_work: check_map_field_pointer asks for BTF before the field', () => {
    // A bpf_task_work in a map programs may only read (BPF_F_RDONLY_PROG, 1 << 7) is -EACCES with BTF;
    // the second try makes the map without it.
    const m: MapDecl = { name: 'tw', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 1, flags: 1 << 7 };
    const p = prog('p', [
      P.call('bpf_map_lookup_elem', [P.map('tw'), P.imm(0)], 'v'), P.goto('out', P.when('v', '==', P.NULL)), P.call('bpf_get_current_task_btf', [], 't'),
      P.call('bpf_task_work_schedule_signal', [P.r('t'), P.tw('v'), P.map('tw'), P.cb('cb')], 'e'), P.label('out'),
    ]);
    const twCb: Subprog = { name: 'cb', isStatic: true, body: [P.ret(P.imm(0))] };
    const s = new Session({ version: '7.2' });
    const e = loadError(s, object([m], [p], [twCb]));
    expect(e.errno).toBe(EINVAL);
    expect(e.detail).toBe("p: map 'tw' has to have BTF in order to use bpf_task_work");
    expect(verify(object([m], [p], [twCb]), '7.2')[0]?.message).toBe("map 'tw' has to have BTF in order to use bpf_task_work");
    // Two bpf_task_work fields fail to parse: the map is made with BTF and no fields (map_check_btf
    // keeps the parse error as the record), where a program finds no bpf_task_work.
    const two: MapDecl = { name: 'tw', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 2 };
    expect(loadError(new Session({ version: '7.2' }), object([two], [p], [twCb])).detail).toBe("p: map 'tw' has no valid bpf_task_work");
    // With one field and no flag the map keeps its BTF and the program loads.
    new Session({ version: '7.2' }).load(object([{ ...two, taskWorkFields: 1 }], [p], [twCb]));
  });

  test('a map libbpf made again without BTF takes no bpf_kptr_xchg either', () => {
    // A PERCPU_ARRAY refuses a bpf_task_work with BTF (-EOPNOTSUPP); the second try makes it without
    // its fields, the task kptr's too.
    const m: MapDecl = { name: 'pc', type: 'percpu_array', maxEntries: 1, valueSize: 8, taskWorkFields: 1, kptrs: [{ name: 'f', type: 'task_struct' }] };
    const p = prog('p', [P.call('bpf_map_lookup_elem', [P.map('pc'), P.imm(0)], 'v'), P.goto('out', P.when('v', '==', P.NULL)), P.call('bpf_kptr_xchg', [P.kptr('v', 'f'), P.NULL], 'o'), P.label('out')]);
    const s = new Session();
    const e = loadError(s, object([m], [p]));
    expect(e.detail).toBe("p: map 'pc' has to have BTF in order to use bpf_kptr_xchg");
    expect(s.events().some((ev) => ev.kind === 'btf')).toBe(false);
  });
});
