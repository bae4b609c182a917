/**
 * The helpers bpf_probe_read_user (112), bpf_probe_read_kernel_str (115) and bpf_copy_from_user_task
 * (191). Every expectation is worked out by hand from the kernel source (7.2.13):
 *
 * - kernel/trace/bpf_trace.c bpf_probe_read_user_common: `copy_from_user_nofault(dst, ptr, size)`; a
 *   negative result memsets all `size` bytes of dst to 0. mm/maccess.c copy_from_user_nofault:
 *   `__access_ok(ptr, size)` first (arch/x86/include/asm/uaccess_64.h: size is not a compile-time
 *   constant there, so `ptr + size` must not wrap and must be ≤ USER_PTR_MAX = TASK_SIZE_MAX =
 *   0x7ffffffff000), else -EFAULT — for size 0 too; then `nmi_uaccess_okay` (arch/x86/mm/tlb.c: the
 *   loaded mm must be current->mm, which a kernel thread has none of) → -EFAULT; then the copy with
 *   page faults off: anything not copied → -EFAULT.
 * - bpf_probe_read_kernel_str_common: `strncpy_from_kernel_nofault(dst, ptr, size)`, all of dst zeroed
 *   on an error. mm/maccess.c: count 0 → 0 first; a user / non-canonical / vsyscall address → -ERANGE
 *   (arch/x86/mm/maccess.c); bytes one by one up to and including the NUL, at most count, the last
 *   byte written made NUL; returns the bytes written.
 * - kernel/bpf/helpers.c bpf_copy_from_user_task: flags ≠ 0 → -EINVAL; size 0 → 0;
 *   `access_process_vm(tsk, ptr, dst, size, 0)` (mm/memory.c: 0 without an mm); exactly size → 0,
 *   else dst zeroed (size bytes) and -EFAULT. might_sleep: sleepable programs only.
 */
import { describe, expect, test } from 'vitest';
import { content, program as P, Session, verify, type BpfObject } from '../src/index.ts';
import { enc, FILL, hex, want } from './support/fill.ts';

const E = FILL;
const PAGE = 0x7ffd_1000n;
const TASK_SIZE_MAX = 0x7fff_ffff_f000n;
const KADDR = 0xffff_8880_0000_2000n;
const dst = (): Uint8Array => new Uint8Array(16).fill(E);

function setup(sleepable: boolean): { s: Session; pid: number } {
  const s = new Session({ sleepable });
  s.createFile({ path: '/bin/t', content: content.zero(), size: 4096 });
  const pid = s.spawn({ comm: 't', exe: '/bin/t', script: [] });
  s.inTask(pid);
  return { s, pid };
}

describe('bpf_probe_read_user: copy_from_user_nofault, dst zeroed on an error', () => {
  test('a full read copies the bytes and returns 0', () => {
    const { s, pid } = setup(false);
    s.writeUser(pid, PAGE, enc('hello world'));
    const d = dst();
    expect(s.bpf_probe_read_user(d, 11, PAGE)).toBe(0);
    expect(hex(d)).toBe(want('hello world', 0));
  });

  test('a read reaching an unmapped byte: -EFAULT, all size bytes zeroed (the bytes past size kept)', () => {
    const { s, pid } = setup(false);
    s.writeUser(pid, PAGE, enc('abcdefgh'));
    const d = dst();
    expect(s.bpf_probe_read_user(d, 12, PAGE)).toBe(-14);
    expect(hex(d)).toBe(want('', 12));
  });

  test('size 0: 0 at a user address; -EFAULT at a kernel address (__access_ok looks at the address for size 0 too); nothing written', () => {
    const { s, pid } = setup(false);
    s.writeUser(pid, PAGE, enc('abc'));
    const d = dst();
    expect(s.bpf_probe_read_user(d, 0, PAGE)).toBe(0);
    expect(s.bpf_probe_read_user(d, 0, 0x1000n)).toBe(0); // nothing mapped, but nothing read either
    expect(s.bpf_probe_read_user(d, 0, KADDR)).toBe(-14);
    expect(hex(d)).toBe(want('', 0));
  });

  test('a range past TASK_SIZE_MAX is -EFAULT before anything is read', () => {
    const { s, pid } = setup(false);
    // The model lets the task write there (the kernel would not map it): access_ok refuses the range anyway.
    s.writeUser(pid, TASK_SIZE_MAX - 4n, enc('abcdefgh'));
    const d = dst();
    expect(s.bpf_probe_read_user(d, 4, TASK_SIZE_MAX - 4n)).toBe(0); // ends at TASK_SIZE_MAX: allowed
    expect(hex(d)).toBe(want('abcd', 0));
    expect(s.bpf_probe_read_user(d, 5, TASK_SIZE_MAX - 4n)).toBe(-14);
    expect(hex(d)).toBe(want('', 5));
    expect(s.bpf_probe_read_user(d, 8, 0xffff_ffff_ffff_fffcn)).toBe(-14); // wraps
  });

  test('a task without mm (a kernel thread): nmi_uaccess_okay fails → -EFAULT, dst zeroed', () => {
    const { s } = setup(false);
    const kthread = s.spawn({ comm: 'k', script: [] });
    s.inTask(kthread);
    const d = dst();
    expect(s.bpf_probe_read_user(d, 4, PAGE)).toBe(-14);
    expect(hex(d)).toBe(want('', 4));
  });
});

describe('bpf_probe_read_kernel_str: strncpy_from_kernel_nofault, dst zeroed on an error', () => {
  test('the string and its NUL, nothing after; a cut string; only the NUL', () => {
    const { s } = setup(false);
    s.mapKernelMemory(KADDR, enc('hello\0XYZ'));
    const d = dst();
    expect(s.bpf_probe_read_kernel_str(d, 16, KADDR)).toBe(6);
    expect(hex(d)).toBe(want('hello', 1)); // bytes 6..15 keep 0xee
    const cut = dst();
    expect(s.bpf_probe_read_kernel_str(cut, 4, KADDR)).toBe(4); // "hel" and a NUL over 'l'
    expect(hex(cut)).toBe(want('hel', 1));
    const one = dst();
    expect(s.bpf_probe_read_kernel_str(one, 1, KADDR)).toBe(1);
    expect(hex(one)).toBe(want('', 1));
  });

  test('a fault before the NUL: -EFAULT, all size bytes zeroed', () => {
    const { s } = setup(false);
    s.mapKernelMemory(KADDR, enc('abc')); // no NUL: byte 3 is not mapped
    const d = dst();
    expect(s.bpf_probe_read_kernel_str(d, 8, KADDR)).toBe(-14);
    expect(hex(d)).toBe(want('', 8));
  });

  test('a user address (NULL too) → -ERANGE, dst zeroed; size 0 → 0 before the address is checked', () => {
    const { s } = setup(false);
    const d = dst();
    expect(s.bpf_probe_read_kernel_str(d, 0, 0n)).toBe(0);
    expect(hex(d)).toBe(want('', 0));
    expect(s.bpf_probe_read_kernel_str(d, 10, 0n)).toBe(-34);
    expect(hex(d)).toBe(want('', 10));
    expect(s.bpf_probe_read_kernel_str(dst(), 10, PAGE)).toBe(-34);
    expect(s.bpf_probe_read_kernel_str(dst(), 10, 0x8000_0000_0000_0000n)).toBe(-34); // not canonical
  });

  test('program memory (a global) is kernel memory, read from its start', () => {
    const { s } = setup(false);
    const d = dst();
    expect(s.bpf_probe_read_kernel_str(d, 16, enc('xy\0z'))).toBe(3);
    expect(hex(d)).toBe(want('xy', 1));
  });
});

describe('bpf_copy_from_user_task: access_process_vm, dst zeroed on a short copy', () => {
  test('a full read of the current task and of another task', () => {
    const { s, pid } = setup(true);
    const other = s.spawn({ comm: 'o', exe: '/bin/t', script: [] });
    s.writeUser(pid, PAGE, enc('mine'));
    s.writeUser(other, PAGE, enc('theirs'));
    const d = dst();
    expect(s.bpf_copy_from_user_task(d, 4, PAGE, pid, 0n)).toBe(0);
    expect(hex(d)).toBe(want('mine', 0));
    const o = dst();
    expect(s.bpf_copy_from_user_task(o, 6, PAGE, other, 0n)).toBe(0);
    expect(hex(o)).toBe(want('theirs', 0));
  });

  test('a read reaching an unmapped byte: -EFAULT, all size bytes zeroed', () => {
    const { s, pid } = setup(true);
    s.writeUser(pid, PAGE, enc('abcdefgh'));
    const d = dst();
    expect(s.bpf_copy_from_user_task(d, 12, PAGE, pid, 0n)).toBe(-14);
    expect(hex(d)).toBe(want('', 12));
  });

  test('flags ≠ 0 → -EINVAL (before size 0), dst untouched; size 0 → 0', () => {
    const { s, pid } = setup(true);
    s.writeUser(pid, PAGE, enc('abcdefgh'));
    const d = dst();
    expect(s.bpf_copy_from_user_task(d, 8, PAGE, pid, 1n)).toBe(-22);
    expect(s.bpf_copy_from_user_task(d, 0, PAGE, pid, 1n)).toBe(-22);
    expect(s.bpf_copy_from_user_task(d, 0, PAGE, pid, 0n)).toBe(0);
    expect(s.bpf_copy_from_user_task(d, 0, 0x1000n, pid, 0n)).toBe(0); // nothing read
    expect(hex(d)).toBe(want('', 0));
  });

  test('a task without mm: access_process_vm copies 0 bytes → -EFAULT, dst zeroed', () => {
    const { s } = setup(true);
    const kthread = s.spawn({ comm: 'k', script: [] });
    const d = dst();
    expect(s.bpf_copy_from_user_task(d, 4, PAGE, kthread, 0n)).toBe(-14);
    expect(hex(d)).toBe(want('', 4));
  });

  test('might_sleep: called from a non-sleepable context the model stops', () => {
    const { s, pid } = setup(false);
    expect(() => s.bpf_copy_from_user_task(dst(), 4, PAGE, pid, 0n)).toThrow(/non-sleepable context/);
  });
});

describe('the verifier: helper ids and the sleepable rule', () => {
  const obj = (section: string, fn: 'bpf_copy_from_user_task' | 'bpf_probe_read_user' | 'bpf_probe_read_kernel_str'): BpfObject => ({
    name: 'h',
    maps: [],
    globals: [{ name: 'out', kind: 'bytes', size: 16 }, { name: 'src', kind: 'bytes', size: 16, init: 'ab' }],
    programs: [{ name: 'p', section, body: [
      ...(fn === 'bpf_copy_from_user_task'
        ? [P.call('bpf_get_current_task_btf', [], 'r6'), P.call(fn, [P.buf('out'), P.imm(8), P.imm(0x1000), P.r('r6'), P.imm(0)])]
        : [P.call(fn, [P.buf('out'), P.imm(8), fn === 'bpf_probe_read_user' ? P.imm(0x1000) : P.buf('src')])]),
      P.ret(P.imm(0)),
    ] }],
    subprogs: [],
  });
  test('bpf_copy_from_user_task (might_sleep) is refused in a non-sleepable program, accepted in a sleepable one', () => {
    // 7.2.13's check_helper_call names the context (non_sleepable_context_description); 6.18 has a
    // message of its own for a non-sleepable program (the 6.18.44 host, conformance kv_copy_user_tc).
    expect(verify(obj('tc', 'bpf_copy_from_user_task'), '7.2')[0]?.message).toBe('sleepable helper bpf_copy_from_user_task#191 in non-sleepable prog');
    expect(verify(obj('tc', 'bpf_copy_from_user_task'), '6.18')[0]?.message).toBe('helper call might sleep in a non-sleepable prog');
    expect(verify(obj('syscall', 'bpf_copy_from_user_task'))[0]?.ok).toBe(true);
  });
  test('bpf_probe_read_user and bpf_probe_read_kernel_str are accepted in non-sleepable programs', () => {
    expect(verify(obj('tc', 'bpf_probe_read_user'))[0]?.ok).toBe(true);
    expect(verify(obj('tc', 'bpf_probe_read_kernel_str'))[0]?.ok).toBe(true);
  });
});

describe('bpf_copy_from_user: copy_from_user, dst zeroed on an error', () => {
  // kernel/bpf/helpers.c bpf_copy_from_user: `copy_from_user(dst, user_ptr, size)`; anything left
  // uncopied → memset(dst, 0, size) and -EFAULT. copy_from_user copies the bytes before the fault, so
  // only the memset decides what dst holds.
  test('a full read; a read reaching an unmapped byte zeroes all size bytes; size 0 is 0', () => {
    const { s, pid } = setup(true);
    s.writeUser(pid, PAGE, enc('abcdefgh'));
    const d = dst();
    expect(s.bpf_copy_from_user(d, 8, PAGE)).toBe(0);
    expect(hex(d)).toBe(want('abcdefgh', 0));
    expect(s.bpf_copy_from_user(d, 12, PAGE)).toBe(-14);
    expect(hex(d)).toBe(want('', 12));
    expect(s.bpf_copy_from_user(d, 0, 0x1000n)).toBe(0);
    expect(hex(d)).toBe(want('', 12));
  });
});
