/**
 * bpf_dynptr_memset, bpf_dynptr_copy and the probe-read / copy-from-user dynptr kfuncs
 * (kernel/bpf/helpers.c, kernel/trace/bpf_trace.c). Expected
 * values come from those rules: the direct path when a writable slice exists, else the bounds
 * (-E2BIG; null dynptrs have size 0), then 256-byte chunks through __bpf_dynptr_write.
 */
import { describe, expect, test } from 'vitest';
import { ArgumentError, content, E2BIG, EFAULT, EINVAL, ERANGE, KernsimError, program as P, Session, UnknownHandleError } from '../src/index.ts';

const pat = (i: number): number => (i * 7 + 3) & 0xff;
const frame = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => pat(i));
const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => pat(from + i));
const XDP_BIG = 3520 + 17 * 4096;

function nullDynptr(s: Session, slot: string): void {
  expect(s.bpf_dynptr_from_mem(new Uint8Array(4), 4, 1, slot)).toBe(-EINVAL);
}

describe('bpf_dynptr_memset', () => {
  test('LOCAL: fills in place; val is a u8; bounds -E2BIG', () => {
    const s = new Session();
    const m = new Uint8Array(16);
    expect(s.bpf_dynptr_from_mem(m, 16, 0, 'd')).toBe(0);
    expect(s.bpf_dynptr_memset('d', 4, 8, 0x1ab)).toBe(0);
    expect([...m]).toEqual([0, 0, 0, 0, ...new Array(8).fill(0xab), 0, 0, 0, 0]);
    expect(s.bpf_dynptr_memset('d', 9, 8, 1)).toBe(-E2BIG);
    expect(s.bpf_dynptr_memset('d', 16, 0, 1)).toBe(0);
  });

  test('read-only → -EINVAL (FILE); a null dynptr is not read-only: size 0 → 0, else -E2BIG', () => {
    const s = new Session();
    s.createFile({ path: '/f', content: content.zero(), size: 100 });
    expect(s.bpf_dynptr_from_file(s.open('/f'), 0, 'f')).toBe(0);
    expect(s.bpf_dynptr_memset('f', 0, 1, 0)).toBe(-EINVAL);
    nullDynptr(s, 'n');
    expect(s.bpf_dynptr_memset('n', 0, 0, 0)).toBe(0);
    expect(s.bpf_dynptr_memset('n', 0, 1, 0)).toBe(-E2BIG);
    expect(s.bpf_dynptr_memset('n', 1, 0, 0)).toBe(-E2BIG);
  });

  test('SKB outside the linear part: written in chunks, which pull the packet linear', () => {
    const s = new Session();
    const id = s.packet({ kind: 'skb', data: frame(2000), linear: 14 });
    expect(s.bpf_dynptr_from_skb(id, 0, 'd')).toBe(0);
    expect(s.bpf_dynptr_memset('d', 100, 600, 0x77)).toBe(0);
    const v = s.packetView(id);
    expect(v.linear).toBe(700);
    expect([...v.data.subarray(98, 702)]).toEqual([...range(98, 2), ...new Array(600).fill(0x77), ...range(700, 2)]);
  });

  test('XDP above 0xffff: no direct slice, and the chunked write fails with -EFAULT', () => {
    const s = new Session();
    const id = s.packet({ kind: 'xdp', data: frame(XDP_BIG) });
    expect(s.bpf_dynptr_from_xdp(id, 0, 'd')).toBe(0);
    expect(s.bpf_dynptr_memset('d', 0x10000, 10, 1)).toBe(-EFAULT);
    expect(s.bpf_dynptr_memset('d', 3510, 20, 1)).toBe(0); // across the linear part and frag 0: chunks
    expect([...s.packetView(id).data.subarray(3509, 3531)]).toEqual([pat(3509), ...new Array(20).fill(1), pat(3530)]);
  });
});

describe('bpf_dynptr_copy', () => {
  test('both direct: memmove (overlap inside one LOCAL dynptr)', () => {
    const s = new Session();
    const m = Uint8Array.from({ length: 10 }, (_, i) => i);
    expect(s.bpf_dynptr_from_mem(m, 10, 0, 'd')).toBe(0);
    expect(s.bpf_dynptr_copy('d', 2, 'd', 0, 6)).toBe(0);
    expect([...m]).toEqual([0, 1, 0, 1, 2, 3, 4, 5, 8, 9]);
  });

  test('null dynptrs: -EINVAL through the write or read path; -E2BIG or 0 in the chunk path', () => {
    const s = new Session();
    expect(s.bpf_dynptr_from_mem(new Uint8Array(8), 8, 0, 'l')).toBe(0);
    nullDynptr(s, 'n');
    expect(s.bpf_dynptr_copy('n', 0, 'l', 0, 0)).toBe(-EINVAL); // src sliceable: __bpf_dynptr_write(null)
    expect(s.bpf_dynptr_copy('l', 0, 'n', 0, 0)).toBe(-EINVAL); // dst sliceable: __bpf_dynptr_read(null)
    nullDynptr(s, 'm');
    expect(s.bpf_dynptr_copy('n', 0, 'm', 0, 0)).toBe(0);
    expect(s.bpf_dynptr_copy('n', 0, 'm', 0, 1)).toBe(-E2BIG);
  });

  test('FILE source into a LOCAL dynptr: fetched straight into it (the FILE read path, sleeping for I/O)', () => {
    const s = new Session({ sleepable: true });
    s.createFile({ path: '/f', content: content.pattern(5), size: 3 * 4096 });
    expect(s.bpf_dynptr_from_file(s.open('/f'), 0, 'f')).toBe(0);
    const m = new Uint8Array(100);
    expect(s.bpf_dynptr_from_mem(m, 100, 0, 'l')).toBe(0);
    expect(s.bpf_dynptr_copy('l', 0, 'f', 4090, 100)).toBe(0);
    const want = new Uint8Array(100);
    expect(s.bpf_dynptr_read(want, 100, 'f', 4090, 0)).toBe(0);
    expect(m).toEqual(want);
    // filemap_read's sync readahead for pages 0-1 of a cold file: get_init_ra_size(2, 32) = 4 pages,
    // cut at the EOF page: pages 0, 1 and 2, one folio read each.
    expect(s.events().filter((e) => e.kind === 'io_submit').length).toBe(3);
  });

  test('FILE source into a non-linear packet: 256-byte chunks, each a FILE read, sleeping in the middle', () => {
    const s = new Session({ sleepable: true });
    s.createFile({ path: '/f', content: content.pattern(9), size: 3 * 4096 });
    s.populate('/f', 0, 4096); // page 0 cached, pages 1 and 2 cold
    expect(s.bpf_dynptr_from_file(s.open('/f'), 0, 'f')).toBe(0);
    const id = s.packet({ kind: 'xdp', data: new Uint8Array(20000) });
    expect(s.bpf_dynptr_from_xdp(id, 0, 'x')).toBe(0);
    // 5000 bytes from file offset 3000 to packet offset 3000: across the linear part and frag 0, so no direct slice.
    expect(s.bpf_dynptr_copy('x', 3000, 'f', 3000, 5000)).toBe(0);
    const want = new Uint8Array(5000);
    expect(s.bpf_dynptr_read(want, 5000, 'f', 3000, 0)).toBe(0);
    expect(s.packetView(id).data.subarray(3000, 8000)).toEqual(want);
    // The chunk that first reaches page 1 misses: sync readahead reads the pages from there to EOF (1, 2).
    expect(s.events().filter((e) => e.kind === 'io_submit').map((e) => (e as { pgoff: number }).pgoff)).toEqual([1, 2]);
  });

  test('a failing chunk returns its error; the chunks before it stay copied', () => {
    const s = new Session(); // non-sleepable: a cold page is -EFAULT
    s.createFile({ path: '/f', content: content.pattern(2), size: 3 * 4096 });
    s.populate('/f', 0, 4096);
    expect(s.bpf_dynptr_from_file(s.open('/f'), 0, 'f')).toBe(0);
    const id = s.packet({ kind: 'xdp', data: new Uint8Array(20000) });
    expect(s.bpf_dynptr_from_xdp(id, 0, 'x')).toBe(0);
    expect(s.bpf_dynptr_copy('x', 3000, 'f', 3000, 5000)).toBe(-EFAULT);
    // Chunks of 256 from file offset 3000: 4 whole chunks end at 4024; the 5th crosses into page 1 and fails.
    const data = s.packetView(id).data;
    const want = new Uint8Array(1024);
    expect(s.bpf_dynptr_read(want, 1024, 'f', 3000, 0)).toBe(0);
    expect(data.subarray(3000, 4024)).toEqual(want);
    expect([...data.subarray(4024, 4030)]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  test('a read-only destination without a direct slice: the source chunk is read first (its error wins), then -EINVAL', () => {
    const s = new Session();
    s.createFile({ path: '/f', content: content.pattern(2), size: 4096 });
    expect(s.bpf_dynptr_from_file(s.open('/f'), 0, 'f')).toBe(0);
    const id = s.packet({ kind: 'skb', data: frame(100), progType: 'CGROUP_SKB' });
    expect(s.bpf_dynptr_from_skb(id, 0, 'k')).toBe(0);
    expect(s.bpf_dynptr_copy('k', 0, 'f', 0, 10)).toBe(-EFAULT); // page 0 cold: the read fails first
    s.populate('/f');
    expect(s.bpf_dynptr_copy('k', 0, 'f', 0, 10)).toBe(-EINVAL);
    // A sliceable source goes straight to __bpf_dynptr_write: -EINVAL.
    expect(s.bpf_dynptr_from_mem(new Uint8Array(10), 10, 0, 'l')).toBe(0);
    expect(s.bpf_dynptr_copy('k', 0, 'l', 0, 10)).toBe(-EINVAL);
  });
});

describe('probe-read and copy-from-user into dynptrs', () => {
  const UADDR = 0x7ffd_0000n;
  const KADDR = 0xffff_8880_0000_0000n;

  function taskSession(sleepable = false): { s: Session; pid: number } {
    const s = new Session({ sleepable });
    s.createFile({ path: '/bin/t', content: content.zero(), size: 4096 });
    const pid = s.spawn({ comm: 't', exe: '/bin/t', script: [] });
    s.inTask(pid);
    return { s, pid };
  }

  test('probe_read_user: into a direct slice; a byte not mapped → -EFAULT; bounds -E2BIG on the chunk path', () => {
    const { s, pid } = taskSession();
    s.writeUser(pid, UADDR, Uint8Array.of(1, 2, 3, 4, 5, 6));
    const m = new Uint8Array(8);
    expect(s.bpf_dynptr_from_mem(m, 8, 0, 'd')).toBe(0);
    expect(s.bpf_probe_read_user_dynptr('d', 2, 4, UADDR)).toBe(0);
    expect([...m]).toEqual([0, 0, 1, 2, 3, 4, 0, 0]);
    expect(s.bpf_probe_read_user_dynptr('d', 0, 8, UADDR)).toBe(-EFAULT);
    expect(s.bpf_probe_read_user_dynptr('d', 4, 8, UADDR)).toBe(-E2BIG);
    nullDynptr(s, 'n');
    expect(s.bpf_probe_read_user_dynptr('n', 0, 0, UADDR)).toBe(0);
    expect(s.bpf_probe_read_user_dynptr('n', 0, 1, UADDR)).toBe(-E2BIG);
  });

  test('probe_read_kernel: kernel memory; a user address → -ERANGE; an unmapped kernel address → -EFAULT', () => {
    const { s } = taskSession();
    s.mapKernelMemory(KADDR, Uint8Array.of(9, 8, 7));
    const m = new Uint8Array(3);
    expect(s.bpf_dynptr_from_mem(m, 3, 0, 'd')).toBe(0);
    expect(s.bpf_probe_read_kernel_dynptr('d', 0, 3, KADDR)).toBe(0);
    expect([...m]).toEqual([9, 8, 7]);
    expect(s.bpf_probe_read_kernel_dynptr('d', 0, 3, UADDR)).toBe(-ERANGE);
    expect(s.bpf_probe_read_kernel_dynptr('d', 0, 3, KADDR + 1n)).toBe(-EFAULT);
    expect(s.bpf_probe_read_kernel_dynptr('d', 0, 3, 0x8000_0000_0000_0000n)).toBe(-ERANGE); // not canonical
  });

  test('probe_read_kernel into a direct slice: 8-byte loads, then 4, 2, 1; a faulting load copies none of its bytes', () => {
    // mm/maccess.c copy_from_kernel_nofault (7.2.13): x86-64 selects HAVE_EFFICIENT_UNALIGNED_ACCESS, so
    // the u64 loop runs while 8 or more bytes remain, then the u32, u16 and u8 loops take the rest; a
    // load that faults jumps to Efault (-EFAULT) with the loads before it done. __bpf_dynptr_copy copies
    // straight into the LOCAL dynptr's slice, so those bytes stay there.
    const { s } = taskSession();
    const kmem = Uint8Array.from({ length: 12 }, (_, i) => i + 1); // 12 mapped bytes: 1..12
    s.mapKernelMemory(KADDR, kmem);
    const m = new Uint8Array(16);
    expect(s.bpf_dynptr_from_mem(m, 16, 0, 'd')).toBe(0);
    const read = (size: number, from: bigint): { ret: number; bytes: number[] } => {
      m.fill(0xee);
      return { ret: s.bpf_probe_read_kernel_dynptr('d', 0, size, from), bytes: [...m.subarray(0, size)] };
    };
    const fill = (n: number): number[] => new Array<number>(n).fill(0xee);
    // 16 bytes: the first 8-byte load is mapped, the second reaches past byte 12.
    expect(read(16, KADDR)).toEqual({ ret: -EFAULT, bytes: [...kmem.subarray(0, 8), ...fill(8)] });
    // 14 bytes: 8, then 4 (bytes 8..11), then a 2-byte load past the end.
    expect(read(14, KADDR)).toEqual({ ret: -EFAULT, bytes: [...kmem, ...fill(2)] });
    // 10 bytes from byte 2: 8 (2..9), then 2 (10..11): all mapped.
    expect(read(10, KADDR + 2n)).toEqual({ ret: 0, bytes: [...kmem.subarray(2, 12)] });
    // 8 bytes from byte 5: one 8-byte load reaching byte 12: nothing copied.
    expect(read(8, KADDR + 5n)).toEqual({ ret: -EFAULT, bytes: fill(8) });
  });

  test('str variants: the bytes written with the NUL; a longer string is cut to size - 1 and terminated', () => {
    const { s, pid } = taskSession();
    s.writeUser(pid, UADDR, 'hello');
    s.mapKernelMemory(KADDR, new TextEncoder().encode('kernel\0'));
    const m = new Uint8Array(16).fill(0xee);
    expect(s.bpf_dynptr_from_mem(m, 16, 0, 'd')).toBe(0);
    expect(s.bpf_probe_read_user_str_dynptr('d', 0, 16, UADDR)).toBe(6);
    expect(new TextDecoder().decode(m.subarray(0, 6))).toBe('hello\0');
    expect(s.bpf_probe_read_user_str_dynptr('d', 0, 3, UADDR)).toBe(3);
    expect(new TextDecoder().decode(m.subarray(0, 3))).toBe('he\0');
    expect(s.bpf_probe_read_kernel_str_dynptr('d', 8, 8, KADDR)).toBe(7);
    expect(new TextDecoder().decode(m.subarray(8, 15))).toBe('kernel\0');
    expect(s.bpf_probe_read_user_str_dynptr('d', 0, 0, UADDR)).toBe(0);
  });

  test('str chunk path (a non-linear destination): 256-byte chunks overlapping on the NUL; returns length + 1, or size when cut', () => {
    const { s, pid } = taskSession();
    const text = 'x'.repeat(300);
    s.writeUser(pid, UADDR, text);
    const id = s.packet({ kind: 'skb', data: new Uint8Array(2000), linear: 14 });
    expect(s.bpf_dynptr_from_skb(id, 0, 'k')).toBe(0);
    expect(s.bpf_probe_read_user_str_dynptr('k', 100, 400, UADDR)).toBe(301);
    expect(new TextDecoder().decode(s.packetView(id).data.subarray(100, 401))).toBe(`${text}\0`);
    expect(s.bpf_probe_read_user_str_dynptr('k', 1000, 200, UADDR)).toBe(200);
    expect(new TextDecoder().decode(s.packetView(id).data.subarray(1000, 1200))).toBe(`${'x'.repeat(199)}\0`);
  });

  test('a read-only destination: -EINVAL only after the first chunk was read (a faulting source wins)', () => {
    const { s, pid } = taskSession();
    const id = s.packet({ kind: 'skb', data: new Uint8Array(100), progType: 'SOCKET_FILTER' });
    expect(s.bpf_dynptr_from_skb(id, 0, 'k')).toBe(0);
    expect(s.bpf_probe_read_user_dynptr('k', 0, 4, UADDR)).toBe(-EFAULT);
    s.writeUser(pid, UADDR, Uint8Array.of(1, 2, 3, 4));
    expect(s.bpf_probe_read_user_dynptr('k', 0, 4, UADDR)).toBe(-EINVAL);
  });

  test('copy_from_user (sleepable only): a fault is -EFAULT and the rest of the destination is zeroed', () => {
    const { s, pid } = taskSession(false);
    const m = new Uint8Array(8).fill(0xee);
    expect(s.bpf_dynptr_from_mem(m, 8, 0, 'd')).toBe(0);
    expect(() => s.bpf_copy_from_user_dynptr('d', 0, 8, UADDR)).toThrow(KernsimError);
    s.sleepable();
    s.writeUser(pid, UADDR, Uint8Array.of(1, 2, 3));
    expect(s.bpf_copy_from_user_dynptr('d', 0, 8, UADDR)).toBe(-EFAULT);
    expect([...m]).toEqual([1, 2, 3, 0, 0, 0, 0, 0]);
    expect(s.bpf_copy_from_user_str_dynptr('d', 0, 8, UADDR)).toBe(-EFAULT); // no NUL before the unmapped byte
    s.writeUser(pid, UADDR, 'abc');
    expect(s.bpf_copy_from_user_str_dynptr('d', 0, 8, UADDR)).toBe(4);
  });

  test('copy_from_user_task: another task\'s memory; a task without mm → -EFAULT', () => {
    const { s } = taskSession(true);
    const other = s.spawn({ comm: 'o', exe: '/bin/t', script: [] });
    const kthread = s.spawn({ comm: 'k', script: [] });
    s.writeUser(other, UADDR, 'other');
    const m = new Uint8Array(8);
    expect(s.bpf_dynptr_from_mem(m, 8, 0, 'd')).toBe(0);
    expect(s.bpf_copy_from_user_task_dynptr('d', 0, 5, UADDR, other)).toBe(0);
    expect(new TextDecoder().decode(m.subarray(0, 5))).toBe('other');
    expect(s.bpf_copy_from_user_task_str_dynptr('d', 0, 8, UADDR, other)).toBe(6);
    expect(s.bpf_copy_from_user_task_str_dynptr('d', 0, 4, UADDR, other)).toBe(4);
    expect(new TextDecoder().decode(m.subarray(0, 4))).toBe('oth\0');
    expect(s.bpf_copy_from_user_task_dynptr('d', 0, 1, UADDR, kthread)).toBe(-EFAULT);
    expect(() => s.bpf_copy_from_user_task_dynptr('d', 0, 1, UADDR, 99999)).toThrow(UnknownHandleError);
  });

  test('reading user memory needs a task (current): a call made by no task is refused', () => {
    const s = new Session();
    expect(s.bpf_dynptr_from_mem(new Uint8Array(4), 4, 0, 'd')).toBe(0);
    expect(() => s.bpf_probe_read_user_dynptr('d', 0, 4, 0x1000)).toThrow(ArgumentError);
    expect(s.bpf_probe_read_user_dynptr('d', 0, 0, 0x1000)).toBe(0); // nothing to read
  });

  test('size 0 still goes through copy_from_user_nofault: 0 for a task with an mm, -EFAULT for a kernel thread (nmi_uaccess_okay) or at a kernel address (__access_ok)', () => {
    const s = new Session();
    s.createFile({ path: '/bin/t', content: content.zero(), size: 4096 });
    const user = s.spawn({ comm: 'u', exe: '/bin/t', script: [] });
    const kthread = s.spawn({ comm: 'k', script: [] });
    expect(s.bpf_dynptr_from_mem(new Uint8Array(4), 4, 0, 'd')).toBe(0);
    s.inTask(user);
    expect(s.bpf_probe_read_user_dynptr('d', 0, 0, 0x1000)).toBe(0);
    expect(s.bpf_probe_read_user_dynptr('d', 0, 0, 0xffff_8880_0000_0000n)).toBe(-EFAULT);
    s.inTask(kthread);
    expect(s.bpf_probe_read_user_dynptr('d', 0, 0, 0x1000)).toBe(-EFAULT);
  });

  test('Session.progTestRun runs the test in a user process when given its executable (an mm), else in a task without one', () => {
    const s = new Session();
    s.createFile({ path: '/bin/runner', content: content.zero(), size: 4096 });
    const { call, buf, imm, dynptr, ret, r, storeAt } = P;
    s.load({
      name: 'o', maps: [], subprogs: [], globals: [{ name: 'mem', kind: 'bytes', size: 8 }, { name: 'rets', kind: 'u64s', size: 1 }],
      programs: [{ name: 'p', section: 'tc', locals: [P.local('d', 'dynptr')], body: [
        call('bpf_dynptr_from_mem', [buf('mem'), imm(8), imm(0), dynptr('d')]),
        call('bpf_probe_read_user_dynptr', [dynptr('d'), imm(0), imm(0), imm(0)], 'n'), storeAt('rets', 0, r('n')), ret(imm(0)),
      ] }],
    });
    const rets = (): bigint => new DataView((s.global('rets') as Uint8Array).buffer).getBigInt64(0, true);
    expect(s.progTestRun('p', { data: 'pkt_v4', exe: '/bin/runner' }).err).toBe(0);
    expect(rets()).toBe(0n);
    expect(s.progTestRun('p', { data: 'pkt_v4' }).err).toBe(0);
    expect(rets()).toBe(BigInt(-EFAULT));
  });
});
