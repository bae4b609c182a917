/**
 * The `map__map` argument of `bpf_task_work_schedule_{signal,resume}` when it is not the map of the
 * `bpf_task_work` (shared/semantics/task_work.md Q3). Expected values come from the sources, 7.2.13's
 * and the 6.18 series' alike:
 * - kernel/bpf/verifier.c `check_kfunc_args` (KF_ARG_PTR_TO_MAP) compares the two maps only when
 *   `reg->map_ptr->record` has a workqueue or task_work offset, and reads that record without a NULL
 *   check;
 * - kernel/bpf/btf.c `btf_parse_fields` returns NULL for a value without special fields (syscall.c
 *   `map_check_btf` stores it; a map without BTF keeps the NULL it started with), and an error pointer
 *   when they fail to parse (two `bpf_task_work`s);
 * - kernel/bpf/helpers.c `bpf_task_work_schedule` sets `ctx->map_val = (void *)tw -
 *   map->record->task_work_off` with the map argument's record, whose offset is -EINVAL when it has no
 *   task_work field; `set_task_work_schedule_callback_state` types the callback's map, key and value
 *   from the map argument (R3).
 * On 7.2.13 under qemu the first loads as an oops in check_kfunc_args at address 0x14 (the guest
 * tier's `oops_tw_*` cases); the second loads (`flo_tw_kptr_map`).
 */
import { describe, expect, test } from 'vitest';
import { ArgumentError, content, KernelBugError, program as P, Session, traceEvents, verify, type BpfObject, type KernelVersion, type MapDecl, type Op } from '../src/index.ts';

const EINVAL = -22;

const TW: MapDecl = { name: 'a', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 1 };
const PLAIN: MapDecl = { name: 'b', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 0 };
const KPTR: MapDecl = { name: 'b', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 0, kptrs: [{ name: 'k', type: 'task_struct' }] };
const OTHER_TW: MapDecl = { name: 'b', type: 'hash', maxEntries: 1, valueSize: 8, taskWorkFields: 1 };
const RING: MapDecl = { name: 'b', type: 'ringbuf', maxEntries: 4096, valueSize: 0, taskWorkFields: 0 };
const TWO_TW: MapDecl = { name: 'b', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 2 };

/**
 * An lsm/file_open program scheduling a task_work on `a`'s value with `mapArg` as the map; `cbBody` is
 * the callback's. 6.18 names the kfunc `_impl`, with the aux argument the program passes as NULL.
 */
function object(other: MapDecl, mapArg = 'b', cbBody: Op[] = [], version: KernelVersion = '7.2'): BpfObject {
  const v18 = version === '6.18';
  return {
    name: 'o', globals: [], maps: [TW, other],
    programs: [{ name: 'hook', section: 'lsm/file_open', body: [
      P.call('bpf_map_lookup_elem', [P.map('a'), P.imm(0)], 'v'), P.goto('out', P.when('v', '==', P.NULL)),
      P.call('bpf_get_current_task_btf', [], 't'),
      P.call(v18 ? 'bpf_task_work_schedule_resume_impl' : 'bpf_task_work_schedule_resume', [P.r('t'), P.tw('v'), P.map(mapArg), P.cb('cb'), ...(v18 ? [P.NULL] : [])], 'e'),
      P.label('out'), P.ret(P.imm(0)),
    ] }],
    subprogs: [{ name: 'cb', isStatic: true, body: [...cbBody, P.ret(P.imm(0))] }],
  };
}

function kernelBug(f: () => unknown): KernelBugError {
  try {
    f();
  } catch (e) {
    if (e instanceof KernelBugError) return e;
    throw e;
  }
  throw new Error('no KernelBugError');
}

describe('the verifier reads the map argument\'s record without a NULL check', () => {
  // offsetof(struct btf_record, wq_off) is 0x14 (include/linux/bpf.h): from NULL, or from ERR_PTR(-E2BIG).
  test.each([
    ['a value without special fields', PLAIN, '0000000000000014'],
    ['a map without BTF (a ring buffer)', RING, '0000000000000014'],
    ['fields that fail to parse (two bpf_task_work)', TWO_TW, (0x14 - 7).toString(16).padStart(16, '0')],
  ] as const)('%s: a NULL dereference in check_kfunc_args, on 6.18 and 7.2', (_what, other, addr) => {
    for (const v of ['6.18', '7.2'] as const) {
      const e = kernelBug(() => verify(object(other, 'b', [], v), v));
      expect(e.where).toBe('check_kfunc_args');
      expect(e.what).toContain(`map 'b' (arg#2) has`);
      expect(e.what).toMatch(new RegExp(`NULL pointer dereference at address ${addr}$`));
    }
    // And a load stops there too.
    expect(kernelBug(() => new Session({ version: '7.2' }).load(object(other))).where).toBe('check_kfunc_args');
  });

  test('another map with a bpf_task_work field is compared, and refused (-EINVAL)', () => {
    const [r] = verify(object(OTHER_TW), '7.2');
    expect(r?.ok).toBe(false);
    expect(r?.message).toBe('bpf_task_work pointer in R2 map_uid=0 doesn\'t match map pointer in R3 map_uid=0');
    expect(r?.errno).toBe(EINVAL);
  });

  test('the bpf_task_work\'s own map passes', () => {
    expect(verify(object(PLAIN, 'a'), '7.2')[0]?.ok).toBe(true);
  });

  test('another map whose record has only a kptr is not compared: the program loads', () => {
    expect(verify(object(KPTR), '7.2')[0]?.ok).toBe(true);
    expect(verify(object(KPTR, 'b', [], '6.18'), '6.18')[0]?.ok).toBe(true);
  });

  test('the callback\'s value is typed as the map argument\'s: 16 bytes of b, not 8 of a', () => {
    // a's value is 8 bytes and its bpf_task_work; b's 8 bytes and its kptr (16). A read at offset 8 of
    // the callback's value is b's kptr field (8 bytes, a plain load of a kptr is allowed); in a's value
    // it would be the bpf_task_work, which a program may not read.
    const read = [P.ld('x', 8, P.r('r3'), 8)];
    expect(verify(object(KPTR, 'b', read), '7.2')[0]?.ok).toBe(true);
    expect(verify(object(PLAIN, 'a', read), '7.2')[0]?.ok).toBe(false);
  });
});

describe('bpf_task_work_schedule with another map\'s record', () => {
  function run(other: MapDecl): Session {
    const s = new Session({ version: '7.2' });
    s.createFile({ path: '/f', content: content.pattern(1), size: 4096 });
    s.load(object(other));
    s.spawn({ comm: 'opener', script: [{ sys: 'open', path: '/f', fd: 'f' }] });
    return s;
  }

  test('ctx->map_val is computed from a task_work_off of -EINVAL: the model stops at the call', () => {
    const s = run(KPTR);
    const e = kernelBug(() => s.simulate());
    expect(e.where).toBe('bpf_task_work_schedule');
    expect(e.what).toContain('-EINVAL');
    expect(e.what).toContain('map__map is map \'b\', not the bpf_task_work\'s map \'a\'');
  });

  test('the same program with the bpf_task_work\'s own map schedules and runs the callback', () => {
    const s = new Session({ version: '7.2' });
    s.createFile({ path: '/f', content: content.pattern(1), size: 4096 });
    s.load(object(KPTR, 'a'));
    s.spawn({ comm: 'opener', script: [{ sys: 'open', path: '/f', fd: 'f' }] });
    s.simulate();
    expect(traceEvents(s.world.trace).some((ev) => ev.kind === 'prog' && ev.op === 'enter' && ev.name === 'cb')).toBe(true);
  });

  test('from the API (no verifier): a map no verified program passes is an ArgumentError; one with only a kptr stops as a program would', () => {
    const call = (other: MapDecl): unknown => {
      const s = new Session({ version: '7.2' });
      // The object the verifier refuses or oopses on is never loaded: the API's program is the kptr one's.
      s.load(object(KPTR, 'a'));
      const pid = s.spawn({ comm: 'app', script: [] });
      const m = s.createMap({ ...other, name: 'c' });
      const p = s.asProgram('o', 'hook', { task: pid });
      return p.bpf_task_work_schedule_resume(pid, p.slot('a', 0), other === KPTR ? p.map('b') : m, 'cb');
    };
    expect(() => call(PLAIN)).toThrow(ArgumentError);
    expect(() => call(OTHER_TW)).toThrow(ArgumentError);
    expect(kernelBug(() => call(KPTR)).where).toBe('bpf_task_work_schedule');
  });
});
