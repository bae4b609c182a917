/**
 * bpf_copy_from_user_str (kernel/bpf/helpers.c, read in source: flags other than BPF_F_PAD_ZEROS are
 * -EINVAL, size 0 is 0, strncpy_from_user of size - 1 bytes, -EFAULT padded when asked, else the
 * bytes copied + 1) and the rule that only sleepable code may call it (KF_SLEEPABLE), which makes
 * task_work callbacks the way to reach user memory from a non-sleepable hook (selftests task_work.c,
 * verifier_async_cb_context.c).
 */
import { describe, expect, test } from 'vitest';
import { content, program as P, Session, verify, type BpfObject, type Op } from '../src/index.ts';

const { r, imm, NULL, map, tw, cb, buf, glob, call, mov, store, label, goto, ret, when } = P;
const ADDR = 0x7ffd_0000;

function object(section: string, copyInHook: boolean, size = 16, flags = 0): BpfObject {
  const copy = (): Op[] => [
    mov('r1', glob('user_ptr')),
    call('bpf_copy_from_user_str', [buf('data'), imm(size), r('r1'), imm(flags)], 'r0'),
    store('copy_ret', r('r0')),
  ];
  return {
    name: 'copy',
    maps: [{ name: 'arrmap', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 1 }],
    globals: [{ name: 'user_ptr', kind: 'int' }, { name: 'copy_ret', kind: 'int', init: 99 }, { name: 'data', kind: 'bytes', size: 32 }],
    programs: [{ name: 'hook', section, body: copyInHook ? [...copy(), ret(imm(0))] : [
      call('bpf_map_lookup_elem', [map('arrmap'), imm(0)], 'r6'),
      goto('out', when('r6', '==', NULL)),
      call('bpf_get_current_task_btf', [], 'r7'),
      call('bpf_task_work_schedule_resume_impl', [r('r7'), tw('r6'), map('arrmap'), cb('work'), NULL]),
      label('out'),
      ret(imm(0)),
    ] }],
    subprogs: [{ name: 'work', isStatic: true, body: [...copy(), ret(imm(0))] }],
  };
}

function run(obj: BpfObject, text: string | null, opts: { unverified?: boolean } = {}): Session {
  const s = new Session();
  s.createFile({ path: '/bin/app', content: content.zero(), size: 4096 });
  s.createFile({ path: '/tmp/t', content: content.zero(), size: 1 });
  s.load(obj, opts);
  s.spawn({ comm: 'app', exe: '/bin/app', script: [
    ...(text === null ? [] : [{ sys: 'user_write' as const, addr: ADDR, text }]),
    { sys: 'set_global', global: 'user_ptr', value: ADDR },
    { sys: 'open', path: '/tmp/t', fd: 't' },
    { sys: 'close', fd: 't' },
  ] });
  return s.simulate();
}

const str = (b: unknown, n: number): string => new TextDecoder().decode((b as Uint8Array).subarray(0, n));

describe('bpf_copy_from_user_str', () => {
  test('from a task_work callback scheduled by a non-sleepable hook: copies "hello world" (task_work.c)', () => {
    const s = run(object('lsm/file_open', false), 'hello world');
    expect(s.global('copy_ret')).toBe(12n); // 11 bytes + 1
    expect(str(s.global('data'), 12)).toBe('hello world\0');
  });
  test('a string longer than size - 1 is cut and still terminated; the return is size', () => {
    const s = run(object('lsm/file_open', false, 6), 'hello world');
    expect(s.global('copy_ret')).toBe(6n);
    expect(str(s.global('data'), 6)).toBe('hello\0');
  });
  test('no user memory at the address: -EFAULT; with BPF_F_PAD_ZEROS the buffer is zeroed', () => {
    expect(run(object('lsm/file_open', false), null).global('copy_ret')).toBe(-14n);
    const padded = run(object('lsm/file_open', false, 16, 1), null);
    expect(padded.global('copy_ret')).toBe(-14n);
    expect([...(padded.global('data') as Uint8Array).subarray(0, 16)].every((x) => x === 0)).toBe(true);
  });
  test('unknown flags: -EINVAL; size 0: 0', () => {
    expect(run(object('lsm/file_open', false, 16, 2), 'x').global('copy_ret')).toBe(-22n);
    expect(run(object('lsm/file_open', false, 0), 'x').global('copy_ret')).toBe(0n);
  });
  test('directly in a sleepable hook it works; in a non-sleepable one the verifier refuses it', () => {
    expect(run(object('lsm.s/file_open', true), 'abc').global('copy_ret')).toBe(4n);
    const [v] = verify(object('lsm/file_open', true));
    expect(v?.message).toBe('program must be sleepable to call sleepable kfunc bpf_copy_from_user_str');
    expect(verify(object('fentry/bpf_fentry_test1', false))[0]?.ok).toBe(true); // the callback is sleepable
  });
  test('run anyway (unverified) in a non-sleepable hook, the model stops: sleeping in atomic context', () => {
    expect(() => run(object('lsm/file_open', true), 'abc', { unverified: true })).toThrow(/non-sleepable context/);
  });
});
