/**
 * bpf_copy_from_user_str (kernel/bpf/helpers.c, read in source: flags other than BPF_F_PAD_ZEROS are
 * -EINVAL, size 0 is 0, strncpy_from_user of size - 1 bytes, -EFAULT padded when asked, else the
 * bytes copied + 1) and the rule that only sleepable code may call it (KF_SLEEPABLE), which makes
 * task_work callbacks the way to reach user memory from a non-sleepable hook (selftests task_work.c,
 * verifier_async_cb_context.c).
 */
import { describe, expect, test } from 'vitest';
import { enc, FILL, hex, want } from './support/fill.ts';
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

/*
 * The bytes after the NUL. lib/strncpy_from_user.c `do_strncpy_from_user` (x86-64) loads 8-byte words
 * from the source address while at least 8 of its `count` remain; the word holding the NUL is stored
 * whole with every byte after the NUL zeroed, and a word that faults sends the rest byte by byte (no
 * more words); bytes are stored one by one up to the NUL and nothing after. `count` is the size for
 * bpf_probe_read_user_str_dynptr (mm/maccess.c strncpy_from_user_nofault) and size - 1 for
 * bpf_copy_from_user_str{,_dynptr} (kernel/bpf/helpers.c, kernel/trace/bpf_trace.c
 * copy_user_str_sleepable). The _task variant (mm/memory.c __copy_remote_vm_str) runs lib/string.c
 * `sized_strscpy` on each page piece, with the same word store but words counted from the piece's
 * start. mm/maccess.c strncpy_from_kernel_nofault copies bytes. kernel/trace/bpf_trace.c
 * `__bpf_dynptr_copy_str` hands a direct slice to the copy function; without one it copies into a
 * buffer and writes only the string and its NUL to the dynptr. Each expectation below is worked out
 * by hand from these rules; the destination starts as 0xee so every byte written shows.
 */
describe('string copies: the zeros a word store leaves after the NUL', () => {
  const PAGE = 0x7ffd_1000n; // page aligned
  const E = FILL;
  /** `text` then 'A's up to `len` bytes (a NUL is written in `text` as \0). */
  const src = (text: string, len = 64): Uint8Array => {
    const b = new Uint8Array(len).fill(0x41);
    b.set(enc(text));
    return b;
  };
  function setup(sleepable: boolean): { s: Session; pid: number; m: Uint8Array } {
    const s = new Session({ sleepable });
    s.createFile({ path: '/bin/t', content: content.zero(), size: 4096 });
    const pid = s.spawn({ comm: 't', exe: '/bin/t', script: [] });
    s.inTask(pid);
    const m = new Uint8Array(16).fill(E);
    expect(s.bpf_dynptr_from_mem(m, 16, 0, 'd')).toBe(0);
    return { s, pid, m };
  }
  /** `text` written at PAGE, then one user-string kfunc into the 16-byte LOCAL dynptr: its return and the bytes. */
  function copyStr(fn: 'bpf_probe_read_user_str_dynptr' | 'bpf_copy_from_user_str_dynptr', text: string, size: number): { ret: number | bigint; bytes: string } {
    const { s, pid, m } = setup(fn === 'bpf_copy_from_user_str_dynptr');
    s.writeUser(pid, PAGE, src(text));
    const ret = s[fn]('d', 0, size, PAGE);
    return { ret, bytes: hex(m) };
  }

  test('probe_read_user_str: the NUL\'s word is zeroed to its end (the audit\'s case); the next word is not touched', () => {
    const { s, pid, m } = setup(false);
    s.writeUser(pid, PAGE, src('ab\0'));
    expect(s.bpf_probe_read_user_str_dynptr('d', 0, 16, PAGE)).toBe(3);
    expect(hex(m)).toBe(want('ab', 6)); // 61 62 00 | 00 x5 | ee x8
  });

  test('NUL at byte 7 ends word 0: nothing after it; NUL at byte 8 starts word 1: bytes 9..15 zeroed', () => {
    expect(copyStr('bpf_probe_read_user_str_dynptr', 'abcdefg\0', 16)).toEqual({ ret: 8, bytes: want('abcdefg', 1) });
    expect(copyStr('bpf_probe_read_user_str_dynptr', 'abcdefgh\0', 16)).toEqual({ ret: 9, bytes: want('abcdefgh', 8) });
  });

  test('count not a multiple of 8: the tail shorter than a word goes byte by byte, no zeros after its NUL', () => {
    // size 12: word 0 (bytes 0..7) fits, word 1 (8..15) does not: bytes 8.. one by one.
    expect(copyStr('bpf_probe_read_user_str_dynptr', 'abcdefgh\0', 12)).toEqual({ ret: 9, bytes: want('abcdefgh', 1) });
    // NUL at 2 of a 12-byte copy: word 0 holds it, zeroed to byte 7.
    expect(copyStr('bpf_probe_read_user_str_dynptr', 'ab\0', 12)).toEqual({ ret: 3, bytes: want('ab', 6) });
    // size 7: no whole word; nothing after the NUL.
    expect(copyStr('bpf_probe_read_user_str_dynptr', 'ab\0', 7)).toEqual({ ret: 3, bytes: want('ab', 1) });
  });

  test('copy_from_user_str reads size - 1 bytes: with size 16 word 1 (8..15) does not fit 15, unlike probe_read_user_str', () => {
    expect(copyStr('bpf_copy_from_user_str_dynptr', 'abcdefgh\0', 16)).toEqual({ ret: 9, bytes: want('abcdefgh', 1) });
    expect(copyStr('bpf_copy_from_user_str_dynptr', 'ab\0', 16)).toEqual({ ret: 3, bytes: want('ab', 6) });
    // size 17 (a 24-byte dynptr) → count 16: word 1 fits, zeroed after the NUL at 8 up to byte 15.
    const c = setup(true);
    const m24 = new Uint8Array(24).fill(E);
    expect(c.s.bpf_dynptr_from_mem(m24, 24, 0, 'w')).toBe(0);
    c.s.writeUser(c.pid, PAGE, src('abcdefgh\0'));
    expect(c.s.bpf_copy_from_user_str_dynptr('w', 0, 17, PAGE)).toBe(9);
    expect(hex(m24)).toBe(want('abcdefgh', 8, 24));
  });

  test('a word that faults (it reaches into a page with nothing mapped) sends the copy byte by byte: no zeros after the NUL', () => {
    // "ab\0" in the last 3 bytes of a page, nothing in the next: word 0 crosses into it.
    const a = setup(false);
    a.s.writeUser(a.pid, PAGE - 3n, 'ab');
    expect(a.s.bpf_probe_read_user_str_dynptr('d', 0, 16, PAGE - 3n)).toBe(3);
    expect(hex(a.m)).toBe(want('ab', 1));
    // The same 3 bytes inside a page: the word loads (the page is mapped), zeroed to byte 7.
    const b = setup(false);
    b.s.writeUser(b.pid, PAGE + 100n, 'ab');
    expect(b.s.bpf_probe_read_user_str_dynptr('d', 0, 16, PAGE + 100n)).toBe(3);
    expect(hex(b.m)).toBe(want('ab', 6));
    // Word 0 loads, word 1 (bytes 8..15) crosses the page end: bytes 8, 9 and the NUL one by one.
    const c = setup(false);
    c.s.writeUser(c.pid, PAGE - 11n, 'abcdefghij');
    expect(c.s.bpf_probe_read_user_str_dynptr('d', 0, 16, PAGE - 11n)).toBe(11);
    expect(hex(c.m)).toBe(want('abcdefghij', 1));
  });

  test('copy_from_user_task_str: strscpy page piece by page piece, words counted from each piece\'s start', () => {
    // 3 bytes "abc" end a page, "defg\0AAA…" starts the next. Piece 1 (3 bytes) has no word; piece 2
    // (13 bytes from the page start) loads "defg\0AAA": zeroed after the NUL, up to dynptr byte 10.
    /** "abc" (no NUL) ending the page before PAGE, "defg\0AAA…" from PAGE. */
    const split = (sleepable: boolean): ReturnType<typeof setup> => {
      const x = setup(sleepable);
      x.s.writeUser(x.pid, PAGE - 3n, enc('abc'));
      x.s.writeUser(x.pid, PAGE, src('defg\0'));
      return x;
    };
    const a = split(true);
    expect(a.s.bpf_copy_from_user_task_str_dynptr('d', 0, 16, PAGE - 3n, a.pid)).toBe(8);
    expect(hex(a.m)).toBe(want('abcdefg', 4));
    // probe_read_user_str of the same bytes counts words from the start: the NUL ends word 0.
    const b = split(false);
    expect(b.s.bpf_probe_read_user_str_dynptr('d', 0, 16, PAGE - 3n)).toBe(8);
    expect(hex(b.m)).toBe(want('abcdefg', 1));
    // size 10: piece 2 has 7 bytes, no whole word: byte by byte.
    const c = split(true);
    expect(c.s.bpf_copy_from_user_task_str_dynptr('d', 0, 10, PAGE - 3n, c.pid)).toBe(8);
    expect(hex(c.m)).toBe(want('abcdefg', 1));
    // Within one page, the task variant's words start at the copy's start: as strncpy_from_user.
    const d = setup(true);
    d.s.writeUser(d.pid, PAGE, src('ab\0'));
    expect(d.s.bpf_copy_from_user_task_str_dynptr('d', 0, 16, PAGE, d.pid)).toBe(3);
    expect(hex(d.m)).toBe(want('ab', 6));
  });

  test('probe_read_kernel_str copies bytes (strncpy_from_kernel_nofault): nothing after the NUL', () => {
    const { s, m } = setup(false);
    const KADDR = 0xffff_8880_0000_0000n;
    s.mapKernelMemory(KADDR, src('ab\0'));
    expect(s.bpf_probe_read_kernel_str_dynptr('d', 0, 16, KADDR)).toBe(3);
    expect(hex(m)).toBe(want('ab', 1));
    expect(s.bpf_probe_read_kernel_str_dynptr('d', 0, 16, src('xy\0'))).toBe(3); // program memory
    expect(hex(m)).toBe(want('xy', 1));
  });

  test('the chunk path (no direct slice: SKB past its linear part) writes the string and its NUL only', () => {
    const { s, pid } = setup(true);
    s.writeUser(pid, PAGE, src('ab\0'));
    const id = s.packet({ kind: 'skb', data: new Uint8Array(200).fill(E), linear: 14 });
    expect(s.bpf_dynptr_from_skb(id, 0, 'k')).toBe(0);
    expect(s.bpf_probe_read_user_str_dynptr('k', 100, 16, PAGE)).toBe(3);
    expect(hex(s.packetView(id).data.subarray(100, 116))).toBe(want('ab', 1));
    expect(s.bpf_copy_from_user_str_dynptr('k', 120, 16, PAGE)).toBe(3);
    expect(hex(s.packetView(id).data.subarray(120, 136))).toBe(want('ab', 1));
    expect(s.bpf_copy_from_user_task_str_dynptr('k', 140, 16, PAGE, pid)).toBe(3);
    expect(hex(s.packetView(id).data.subarray(140, 156))).toBe(want('ab', 1));
  });

  test('bpf_copy_from_user_str (not a dynptr) writes straight into dst: the same zeros without BPF_F_PAD_ZEROS', () => {
    const { s, pid } = setup(true);
    s.writeUser(pid, PAGE, src('ab\0'));
    const dst = new Uint8Array(16).fill(E);
    expect(s.bpf_copy_from_user_str(dst, 16, PAGE, 0)).toBe(3);
    expect(hex(dst)).toBe(want('ab', 6));
    const padded = new Uint8Array(16).fill(E);
    expect(s.bpf_copy_from_user_str(padded, 16, PAGE, 1)).toBe(3);
    expect(hex(padded)).toBe(want('ab', 14)); // BPF_F_PAD_ZEROS: all of the rest
    // dst__sz 8 → count 7: no whole word, byte by byte.
    const short = new Uint8Array(16).fill(E);
    expect(s.bpf_copy_from_user_str(short, 8, PAGE, 0)).toBe(3);
    expect(hex(short)).toBe(want('ab', 1));
  });

  // kernel/trace/bpf_trace.c bpf_probe_read_user_str_common: strncpy_from_user_nofault(dst, ptr, size)
  // (count = size: a string of size bytes or more is cut to size - 1 and a NUL, returning size); an
  // error memsets all of dst to 0.
  test('bpf_probe_read_user_str (the helper): strncpy_from_user of size bytes, the same zeros; a cut string returns size; a fault zeroes dst', () => {
    const { s, pid } = setup(false);
    s.writeUser(pid, PAGE, src('ab\0'));
    const dst = new Uint8Array(16).fill(E);
    expect(s.bpf_probe_read_user_str(dst, 16, PAGE)).toBe(3);
    expect(hex(dst)).toBe(want('ab', 6)); // word 0 holds the NUL: bytes 3..7 zeroed
    // size 8: one whole word of count 8 (copy_from_user_str's count would be 7: byte by byte).
    const eight = new Uint8Array(16).fill(E);
    expect(s.bpf_probe_read_user_str(eight, 8, PAGE)).toBe(3);
    expect(hex(eight)).toBe(want('ab', 6));
    // 'abcdefghAAAA…' into 10 bytes: word 0, then 2 bytes one by one, no NUL → cut: dst[9] = 0, returns 10.
    s.writeUser(pid, PAGE, src('abcdefgh'));
    const cut = new Uint8Array(16).fill(E);
    expect(s.bpf_probe_read_user_str(cut, 10, PAGE)).toBe(10);
    expect(hex(cut)).toBe(want('abcdefghA', 1));
    // No user memory: -EFAULT and all of dst (size bytes) zeroed; size 0: 0, nothing written.
    const bad = new Uint8Array(16).fill(E);
    expect(s.bpf_probe_read_user_str(bad, 12, 0x1000n)).toBe(-14);
    expect(hex(bad)).toBe(want('', 12));
    const none = new Uint8Array(16).fill(E);
    expect(s.bpf_probe_read_user_str(none, 0, PAGE)).toBe(0);
    expect(hex(none)).toBe(want('', 0));
  });
});
