/**
 * String copies from real user memory (host tier): `bpf_copy_from_user_str` (with and without
 * BPF_F_PAD_ZEROS), the helper `bpf_probe_read_user_str`, `bpf_copy_from_user_str_dynptr`, `bpf_probe_read_user_str_dynptr` and
 * `bpf_copy_from_user_task_str_dynptr` (the current task) read NUL-terminated strings from a page the
 * loader maps at a fixed address (lib.ts `UserPages`; the page after it is PROT_NONE), into
 * destinations that start non-zero (`<id>_out` pre-filled, a ring record or the LOCAL dynptr's memory
 * memset first), so every byte the copy writes — the zeros x86-64's word-at-a-time
 * `do_strncpy_from_user` stores after the NUL (lib/strncpy_from_user.c), or none — is compared, with
 * the return values. The model's task writes the same page (`Session.writeUser`).
 * The helpers `bpf_probe_read_user` and `bpf_copy_from_user_task` read bytes from the same page (and
 * the PROT_NONE one after it); `bpf_probe_read_kernel_str` reads the program's own `<id>_src` global.
 *
 * The page (`strPage`): non-zero bytes with NULs placed so the strings start at each offset of a word
 * and end at each offset of one; near the page's end the word loads cross into the unmapped page and
 * fault, which sends the copy byte by byte (no zeros after the NUL), or stay inside it.
 */
import { KindBuilder } from './kinds.ts';
import { USER_PAGE, type ConfCase } from './lib.ts';

/** Where the cases' pages go: 1 MiB apart from 0x7e0000000000 (free in x86-64's layout: mmap and the stack sit near 0x7fff…). */
const USER_BASE = 0x7e00_0000_0000n;
const userAddr = (n: number): bigint => USER_BASE + BigInt(n) * 0x10_0000n;

/** Offsets in the page of each string (its NUL at `S.x + len`). */
export const S = {
  empty: 0x000, // NUL at +0
  nul3: 0x100, // NUL at +3: inside the first word
  nul7: 0x200, // NUL at +7: the first word's last byte
  nul8: 0x300, // NUL at +8: the second word's first byte
  nul21: 0x400, // NUL at +21: the third word, byte 5
  long: 0x500, // NUL at +100
  odd: 0x601, // an unaligned start, NUL at +12
  end: 0xff0, // NUL at 0xffd (+13): the second word [0xff8, 0x1000) holds it, inside the page
  endCross: 0xff4, // NUL at +9: the second word [0xffc, 0x1004) crosses into the unmapped page
  endWhole: 0xff6, // NUL at +7: the first word [0xff6, 0xffe) ends on it, inside the page
  endShort: 0xffa, // NUL at +3: the first word crosses into the unmapped page
  endNoNul: 0xffe, // 0xffe and 0xfff non-zero, then the unmapped page: a fault
} as const;

const NULS = [S.empty, S.nul3 + 3, S.nul7 + 7, S.nul8 + 8, S.nul21 + 21, S.long + 100, S.odd + 12, 0xffd];

/** The second page of `strPages(2)`: a string from 0xffe (0xffe, 0xfff) runs across the page boundary to its NUL at 0x1003. */
const NULS2 = [0x1003, 0x1100];

/** `pages` pages of non-zero bytes (1..251) with NULs at `NULS` (and `NULS2` in a second page). */
export function strPages(pages = 1): Uint8Array {
  const b = new Uint8Array(USER_PAGE * pages);
  for (let i = 0; i < b.length; i += 1) b[i] = ((i * 29 + 17) % 251) + 1;
  for (const at of [...NULS, ...NULS2]) if (at < b.length) b[at] = 0;
  return b;
}

let next = 0;
/** A case over its own copy of the page (or pages), at its own address. */
const U = (id: string, pages = 1): KindBuilder & { at: (off: number) => bigint } => {
  const addr = userAddr(next);
  next += 1;
  const b = new KindBuilder(`us_${id}`, 'syscall').userPages(addr, strPages(pages)) as KindBuilder & { at: (off: number) => bigint };
  b.at = (off: number): bigint => addr + BigInt(off);
  return b;
};

const PAD = 1n; // BPF_F_PAD_ZEROS

/**
 * One string copy into `out + off`: `bpf_copy_from_user_str` with `flags`, the helper
 * `bpf_probe_read_user_str` (flags null), or `bpf_copy_from_user_task_str` of the current task
 * (`{ task: flags }`).
 */
type Copy = (b: KindBuilder, off: number, size: number, addr: bigint) => void;
const copyFn = (flags: bigint | null | { task: bigint }): Copy => (b, off, size, addr) => {
  if (flags === null) b.probeReadUserStr(off, size, addr);
  else if (typeof flags === 'object') b.copyFromUserTaskStr(off, size, addr, flags.task);
  else b.copyFromUserStr(off, size, addr, flags);
};

/** Into 32-byte pieces of the pre-filled `out`: each source of the page once. */
function copyStr(id: string, flags: bigint | null | { task: bigint }, rule: string, note: string): ConfCase {
  const b = U(id).fillOut();
  const copy = copyFn(flags);
  const srcs = [S.nul3, S.nul21, S.nul7, S.nul8, S.end, S.endCross, S.endShort, S.endNoNul];
  srcs.forEach((s, i) => copy(b, 32 * i, 32, b.at(s)));
  return b.build(rule, note);
}

/** The same sources at other sizes: the tail copied byte by byte, a cut string, the empty one, the unaligned one. */
function copyStrSizes(id: string, flags: bigint | null | { task: bigint }, rule: string, note: string): ConfCase {
  const b = U(id).fillOut();
  const copy = copyFn(flags);
  copy(b, 0, 16, b.at(S.long)); // a word, then bytes one by one (copy_from_user_str: 15 bytes); no NUL → cut
  copy(b, 32, 17, b.at(S.long)); // two words, no NUL → cut
  copy(b, 64, 5, b.at(S.nul3)); // shorter than a word, byte by byte
  copy(b, 96, 16, b.at(S.odd)); // NUL at 12: the second word for a count of 16 (the helper), byte by byte for 15 (the kfunc)
  copy(b, 128, 32, b.at(S.empty));
  copy(b, 160, 32, b.at(S.odd));
  copy(b, 192, 9, b.at(S.nul8)); // copy_from_user_str: one word, no NUL in it, the count used up
  copy(b, 224, 1, b.at(S.nul3)); // only the NUL
  copy(b, 250, 0, b.at(S.nul3));
  return b.build(rule, note);
}

/**
 * Two mapped pages: the string from 0xffe runs across the page boundary to its NUL at 0x1003, so a
 * word load from 0xffe [0xffe, 0x1006) does not fault (zeros after the NUL to 0x1005), while
 * copy_remote_vm_str (the _task kfunc) copies 0xffe..0xfff as its first page piece (strscpy cuts it:
 * the page's last byte is copied over the NUL) and strscpy's words in the second piece count from
 * 0x1000 (zeros after the NUL to 0x1007).
 */
function twoPages(): ConfCase[] {
  const from = 0xffe;
  const b = U('two_pages', 2).fillOut();
  b.copyFromUserStr(0, 32, b.at(from)).probeReadUserStr(32, 32, b.at(from)).copyFromUserStr(64, 5, b.at(from)).probeReadUserStr(96, 9, b.at(from))
    .copyFromUserStr(128, 32, b.at(from), PAD);
  const r = U('two_pages_rb', 2).reserveDynptr(192);
  r.memset(0, 192, 0xee)
    .probe('bpf_copy_from_user_str_dynptr', 0, 32, { addr: r.at(from) }).probe('bpf_probe_read_user_str_dynptr', 32, 32, { addr: r.at(from) })
    .probeTask('bpf_copy_from_user_task_str_dynptr', 64, 32, r.at(from)).probeTask('bpf_copy_from_user_task_str_dynptr', 96, 5, r.at(from))
    .probeTask('bpf_copy_from_user_task_str_dynptr', 128, 32, r.at(S.end)).probeTask('bpf_copy_from_user_task_str_dynptr', 160, 32, r.at(0xff9))
    .submitDynptr();
  return [
    b.build('bpf_copy_from_user_str', 'two mapped pages: a string across the page boundary (0xffe to its NUL at 0x1003); the word [0xffe, 0x1006) loads across the boundary and is stored with the bytes after the NUL zeroed; bpf_probe_read_user_str the same; short counts go byte by byte'),
    r.build('bpf_copy_from_user_task_str_dynptr', 'the same string into a ring record: the current-task kfuncs word it from 0xffe; copy_remote_vm_str (_task) goes by page pieces: 0xffe..0xfff cut by strscpy (its last byte copied over the NUL), then strscpy from 0x1000 with words from the page start (zeros after the NUL to 0x1007); a string ending in the first piece'),
  ];
}

/** Flags other than BPF_F_PAD_ZEROS. */
function copyFlags(): ConfCase {
  const b = U('copy_flags').fillOut();
  return b.copyFromUserStr(0, 16, b.at(S.nul3), 2).copyFromUserStr(16, 16, b.at(S.nul3), 3)
    .build('bpf_copy_from_user_str', 'flags other than BPF_F_PAD_ZEROS → -EINVAL, dst untouched');
}

/** A string kfunc over a dynptr in slot d (a ring record, or LOCAL over `<id>_mem`; memset 0xee first), each source into a 32-byte piece of it. */
function dynStr(id: string, fn: string, rule: string, note: string, opts: { local?: boolean; task?: boolean } = {}): ConfCase {
  const b = U(id);
  const size = opts.local === true ? 64 : 256;
  if (opts.local === true) b.fromMem(64, 'd');
  else b.reserveDynptr(256);
  b.memset(0, size, 0xee);
  const srcs = opts.local === true ? [S.nul21, S.endCross] : [S.nul3, S.nul21, S.nul7, S.nul8, S.end, S.endCross, S.endShort, S.endNoNul];
  srcs.forEach((s, i) => {
    if (opts.task === true) b.probeTask(fn, 32 * i, 32, b.at(s));
    else b.probe(fn, 32 * i, 32, { addr: b.at(s) });
  });
  // The record is read by user space after the run; the LOCAL dynptr's memory is a global.
  if (opts.local !== true) b.submitDynptr();
  return b.build(rule, note);
}

/** The dynptr kfuncs at sizes around a word: cut strings (no NUL within size), a tail shorter than a word. */
function dynStrSizes(id: string, fn: string, rule: string, note: string, task = false): ConfCase {
  const b = U(id).reserveDynptr(128);
  b.memset(0, 128, 0xee);
  const calls: [number, number, number][] = [[0, 16, S.long], [32, 17, S.long], [64, 5, S.nul3], [80, 9, S.nul8], [96, 1, S.nul3], [112, 16, S.odd]];
  for (const [off, size, s] of calls) {
    if (task) b.probeTask(fn, off, size, b.at(s));
    else b.probe(fn, off, size, { addr: b.at(s) });
  }
  b.submitDynptr();
  return b.build(rule, note);
}

/** `TASK_SIZE_MAX` on x86-64 (4-level page tables): `__access_ok` wants a user range to end at or below it. */
const TASK_SIZE_MAX = 0x7fff_ffff_f000n;
/** A canonical kernel address in the hole below the direct map (x86-64, 4-level: not mapped). */
const KHOLE = 0xffff_8000_0000_0000n;

/**
 * The helpers bpf_probe_read_user (copy_from_user_nofault) and bpf_copy_from_user_task
 * (access_process_vm of the current task) over the mapped page: whole reads, one that reaches the
 * PROT_NONE page after it, size 0, addresses outside user space.
 */
function readUser(): ConfCase[] {
  const b = U('read_user').fillOut();
  b.probeReadUser(0, 32, b.at(S.nul3)) // inside the page: the 32 bytes, NULs and all
    .probeReadUser(32, 13, b.at(S.odd)) // unaligned, odd size
    .probeReadUser(48, 16, b.at(0xff0)) // ends exactly at the page end
    .probeReadUser(64, 16, b.at(0xff8)) // 8 bytes into the PROT_NONE page: -EFAULT, all 16 zeroed
    .probeReadUser(80, 1, b.at(0x1000)) // the PROT_NONE page itself
    .probeReadUser(96, 0, b.at(S.nul3)) // size 0: 0
    .probeReadUser(104, 8, 0) // NULL: a user address with nothing mapped → -EFAULT, zeroed
    .probeReadUser(112, 16, TASK_SIZE_MAX - 8n) // passes TASK_SIZE_MAX: __access_ok → -EFAULT, zeroed
    .probeReadUser(128, 0, KHOLE) // size 0 at a kernel address: __access_ok(ptr, 0) fails → -EFAULT (nothing to zero)
    .probeReadUser(136, 8, KHOLE); // a kernel address → -EFAULT, zeroed
  const t = U('copy_task').fillOut();
  t.copyFromUserTask(0, 32, t.at(S.nul3))
    .copyFromUserTask(32, 13, t.at(S.odd))
    .copyFromUserTask(48, 16, t.at(0xff0))
    .copyFromUserTask(64, 16, t.at(0xff8)) // access_process_vm copies 8 bytes, then stops at the PROT_NONE page: -EFAULT, all 16 zeroed
    .copyFromUserTask(80, 1, t.at(0x1000))
    .copyFromUserTask(96, 0, t.at(S.nul3)) // size 0: 0
    .copyFromUserTask(104, 8, t.at(S.nul3), 1) // flags 1: -EINVAL, dst untouched
    .copyFromUserTask(112, 0, t.at(S.nul3), 1) // flags before size: -EINVAL
    .copyFromUserTask(120, 8, 0) // nothing mapped at NULL: 0 bytes → -EFAULT, zeroed
    .copyFromUserTask(128, 8, KHOLE); // no VMA: -EFAULT, zeroed
  return [
    b.build('bpf_probe_read_user', 'the helper bpf_probe_read_user (copy_from_user_nofault) into a pre-filled buffer: the bytes of a mapped page; a read reaching the PROT_NONE page after it, NULL, a range past TASK_SIZE_MAX and a kernel address → -EFAULT with all size bytes zeroed; size 0 → 0 at a user address, -EFAULT at a kernel one (__access_ok checks the address even for size 0)'),
    t.build('bpf_copy_from_user_task', 'the sleepable helper bpf_copy_from_user_task with bpf_get_current_task_btf(): access_process_vm of the current task; a short copy (the PROT_NONE page, NULL, a kernel address) → -EFAULT with all size bytes zeroed; flags 1 → -EINVAL before size 0 is looked at, dst untouched; size 0 → 0'),
  ];
}

/** bpf_probe_read_kernel_str from the program's own `src` global (kernel memory; NULs at 60, 121, 182, 243) and from refused or unmapped addresses. */
function readKernelStr(): ConfCase {
  const b = U('read_kernel_str').fillOut();
  b.probeReadKernelStr(0, 32, { src: 40 }) // 20 bytes and the NUL at 60: 21, the rest of the 32 untouched
    .probeReadKernelStr(32, 16, { src: 0 }) // cut: 15 bytes and a NUL → 16
    .probeReadKernelStr(48, 1, { src: 0 }) // only the NUL → 1
    .probeReadKernelStr(56, 8, { src: 60 }) // the empty string → 1
    .probeReadKernelStr(64, 0, { src: 0 }) // size 0 → 0
    .probeReadKernelStr(72, 16, { addr: 0 }) // NULL: a user address → -ERANGE, zeroed
    .probeReadKernelStr(88, 0, { addr: 0 }) // size 0 is looked at first → 0
    .probeReadKernelStr(96, 16, { addr: b.at(S.nul3) }) // a mapped user address → -ERANGE, zeroed
    .probeReadKernelStr(112, 16, { addr: 0x8000_0000_0000_0000n }) // not canonical → -ERANGE
    .probeReadKernelStr(128, 16, { addr: 0xffff_ffff_ff60_0000n }) // the vsyscall page → -ERANGE
    .probeReadKernelStr(144, 16, { addr: KHOLE }); // canonical, not mapped → -EFAULT, zeroed
  return b.build('bpf_probe_read_kernel_str', 'the helper bpf_probe_read_kernel_str (strncpy_from_kernel_nofault) from the program\'s own global into a pre-filled buffer: byte by byte up to the NUL (nothing after it written), a string of size bytes or more cut to size - 1 and a NUL; user, non-canonical and vsyscall addresses → -ERANGE, an unmapped kernel address → -EFAULT, both with all size bytes zeroed; size 0 → 0 before the address is checked');
}

/**
 * The task reference kfuncs (kernel/bpf/helpers.c) in a syscall program, and a copy through the
 * reference: `bpf_task_from_pid` and `bpf_task_from_vpid` of the caller's own tgid find it; 0, -1 and
 * 0x7fffffff (above PID_MAX_LIMIT) name no task (NULL); `bpf_task_acquire(current)` succeeds (the
 * caller is alive: rcu_users > 0); every reference is released. Through the acquired task,
 * `bpf_copy_from_user_task` and `bpf_copy_from_user_task_str` read the caller's own page.
 */
function taskRefs(): ConfCase {
  const b = U('task_ref').fillOut();
  b.taskRef('bpf_task_from_pid', 'self', (x, t) => {
    x.copyFromUserTaskStr(0, 32, b.at(S.nul21), 0, t);
    x.copyFromUserTaskStr(32, 16, b.at(S.long), 1, t);
  })
    .taskRef('bpf_task_from_pid', 0)
    .taskRef('bpf_task_from_pid', -1)
    .taskRef('bpf_task_from_pid', 0x7fff_ffff)
    .taskRef('bpf_task_from_vpid', 'self', (x, t) => x.copyFromUserTaskStr(64, 8, b.at(S.endNoNul), 0, t))
    .taskRef('bpf_task_from_vpid', 0)
    .taskRef('bpf_task_acquire', 'current', (x, t) => x.copyFromUserTaskStr(96, 32, b.at(S.endCross), 1, t))
    .currentField('pid')
    .currentField('tgid')
    .taskRef('bpf_task_from_pid', 'current->pid');
  return b.build('bpf_task_from_pid', 'bpf_task_from_pid / bpf_task_from_vpid of the caller\'s own tgid find it, pids 0, -1 and 0x7fffffff find nothing (NULL); bpf_task_acquire(current) succeeds; through each reference bpf_copy_from_user_task_str reads the caller\'s page (a string, one cut with BPF_F_PAD_ZEROS, one running into the PROT_NONE page: -EFAULT); each reference released; current->pid and ->tgid read by name (CO-RE) equal what bpf_get_current_pid_tgid gives, and bpf_task_from_pid(current->pid) finds it');
}

/** Hand-written cases: strings read from a mapped user page into buffers and dynptrs that start non-zero. */
export const userStrCases: readonly ConfCase[] = [
  copyStr('copy', 0n, 'bpf_copy_from_user_str', 'bpf_copy_from_user_str from a mapped user page into a pre-filled buffer: the word holding the NUL is stored with the bytes after the NUL zeroed (NUL at word bytes 3, 5, 7, 0); a word load crossing into the unmapped next page faults and the rest is copied byte by byte (nothing after the NUL written); a string running into the unmapped page → -EFAULT, the bytes before it left'),
  copyStr('copy_pad', PAD, 'bpf_copy_from_user_str', 'bpf_copy_from_user_str with BPF_F_PAD_ZEROS over the same strings: dst zeroed after the string; -EFAULT zeroes all of dst'),
  copyStrSizes('copy_sizes', 0n, 'bpf_copy_from_user_str', 'bpf_copy_from_user_str at sizes around a word (count = size - 1): a 7-byte tail copied byte by byte (no zeros after a NUL there), strings cut at 15 and 16 bytes, a size shorter than a word, the empty string, an unaligned source, size 1 and 0'),
  copyStrSizes('copy_sizes_pad', PAD, 'bpf_copy_from_user_str', 'the same with BPF_F_PAD_ZEROS'),
  copyFlags(),
  copyStr('probe', null, 'bpf_probe_read_user_str', 'the helper bpf_probe_read_user_str (strncpy_from_user_nofault, count = size) over the same strings into a pre-filled buffer: the same zeros after the NUL, none after a word that faulted at the page end; -EFAULT zeroes all size bytes'),
  ...twoPages(),
  copyStrSizes('probe_sizes', null, 'bpf_probe_read_user_str', 'bpf_probe_read_user_str at sizes around a word: count = size, so with size 16 the NUL at byte 12 is in a whole second word (zeros to byte 15) where bpf_copy_from_user_str copies it byte by byte; a string of size bytes or more is cut to size - 1 and a NUL; size 0 → 0'),
  ...readUser(),
  readKernelStr(),
  dynStr('rb_copy', 'bpf_copy_from_user_str_dynptr', 'bpf_copy_from_user_str_dynptr', 'a RINGBUF record (memset 0xee) as the destination, a direct slice: the zeros after the NUL up to the end of its word, none after a word that faulted at the page end; -EFAULT; user space reads the record'),
  dynStrSizes('rb_copy_sizes', 'bpf_copy_from_user_str_dynptr', 'bpf_copy_from_user_str_dynptr', 'RINGBUF: strncpy_from_user of size - 1 bytes at sizes around a word (cut strings, a byte-by-byte tail, size 1), an unaligned source'),
  dynStr('rb_probe', 'bpf_probe_read_user_str_dynptr', 'bpf_probe_read_user_str_dynptr', 'the same strings with strncpy_from_user_nofault (count = size): the same zeros after the NUL, the same faults at the page end'),
  dynStrSizes('rb_probe_sizes', 'bpf_probe_read_user_str_dynptr', 'bpf_probe_read_user_str_dynptr', 'RINGBUF: strncpy_from_user_nofault at sizes around a word: a string of size bytes or more is cut to size - 1 and a NUL'),
  dynStr('local_copy', 'bpf_copy_from_user_str_dynptr', 'bpf_copy_from_user_str_dynptr', 'a LOCAL dynptr over program memory (memset 0xee) as the destination: the zeros after the NUL land in the memory; a copy faulting at the page end leaves none', { local: true }),
  dynStr('local_probe', 'bpf_probe_read_user_str_dynptr', 'bpf_probe_read_user_str_dynptr', 'the same with bpf_probe_read_user_str_dynptr', { local: true }),
  copyStr('task_str', { task: 0n }, 'bpf_copy_from_user_task_str', 'bpf_copy_from_user_task_str of the current task over the same strings: copy_remote_vm_str (strscpy per page piece, words from the source address), the word holding the NUL stored with the bytes after it zeroed; a string running into the PROT_NONE page → -EFAULT'),
  copyStr('task_str_pad', { task: PAD }, 'bpf_copy_from_user_task_str', 'the same with BPF_F_PAD_ZEROS: dst zeroed after the string, all of dst on -EFAULT'),
  copyStrSizes('task_str_sizes', { task: 0n }, 'bpf_copy_from_user_task_str', 'bpf_copy_from_user_task_str at sizes around a word: strscpy cuts a string of size bytes or more (its last byte of room forced to NUL), size 1 and 0'),
  taskRefs(),
  dynStr('rb_task', 'bpf_copy_from_user_task_str_dynptr', 'bpf_copy_from_user_task_str_dynptr', 'the current task (bpf_get_current_task_btf): copy_remote_vm_str, strscpy on each page piece: zeros after the NUL to the end of its word (words from the source address); a string running into the unmapped page → -EFAULT', { task: true }),
  dynStrSizes('rb_task_sizes', 'bpf_copy_from_user_task_str_dynptr', 'bpf_copy_from_user_task_str_dynptr', 'copy_remote_vm_str at sizes around a word: strscpy cuts (the last byte of room forced to NUL)', true),
];
