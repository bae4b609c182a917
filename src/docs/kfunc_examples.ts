/**
 * The example of each kfunc's page: a small scenario that calls it in a typical way and in a way its
 * checks refuse, with the outcome the kernel's rules predict (`expect`, from the checks of the kfunc's
 * definition and SEMANTICS.md). `npm run docs` runs each one and shows what the model computed;
 * test/docs.test.ts checks that every kfunc has one and that each holds.
 *
 * LOCAL- and RINGBUF-dynptr examples are `SEC("syscall")` programs run by `bpf(BPF_PROG_TEST_RUN)`
 * from a task (which then reads the ring as user space does); packet examples are `tc` and `xdp`
 * programs run by `BPF_PROG_TEST_RUN` with packet data; FILE-dynptr and file examples run in
 * `lsm/file_open` while a task opens `/data`. What a scenario file cannot express yet (a per-CPU
 * pointer, a `struct path`) is a session example: the calls made directly on a `Session`, as the
 * program would make them, checked the same way.
 */
import * as P from '../model/program/program.ts';
import type { Op } from '../model/program/program.ts';
import type { KernelVersion } from '../model/kernel/version.ts';
import type { Syscall } from '../model/task/types.ts';
import { checkExpectations, parseScenario, runScenario, type Expectations, type Scenario, type ScenarioRun } from '../scenario/run.ts';
import { Session } from '../session.ts';
import { content } from '../model/fs/content.ts';

const { r, imm, NULL, dynptr, buf, glob, map, tw, kptr, cb, ctxFile, call, mov, store, label, goto, ret, when, addr, ld, alu, field } = P;

type Calls = NonNullable<Expectations['calls']>;
const calls = (fn: string, rets: readonly (number | string)[]): Calls => rets.map((v, nth) => ({ fn, nth, ret: v }));

const ADDR = 0x7ffd_0000;
/** A kernel address (the direct map), for kernel-memory reads. */
const KADDR = 0xffff_8880_0000_1000n;
const BPF_NOEXIST = 1;
const BPF_EXIST = 2;

/** `d`: a LOCAL dynptr over the 16-byte global `mem`; `e`: one whose creation failed (flags 1), so null. */
const local: Op[] = [call('bpf_dynptr_from_mem', [buf('mem'), imm(16), imm(0), dynptr('d')])];
const nullLocal: Op[] = [call('bpf_dynptr_from_mem', [buf('mem'), imm(16), imm(1), dynptr('e')])];

interface Opts {
  readonly version?: KernelVersion;
  readonly expect: Expectations;
  readonly maps?: P.MapDecl[];
  readonly globals?: P.GlobalDecl[];
  readonly subprogs?: P.Subprog[];
  readonly script?: readonly Syscall[];
  /** Stack variables of the program (an iterator, a buffer). */
  readonly locals?: P.Local[];
  /** Syscalls after the test run (user space reading a ring). */
  readonly after?: readonly Syscall[];
  /** `data_in` (and `ctx_in`) of the test run: a packet program's packet. */
  readonly data?: Extract<Syscall, { sys: 'prog_test_run' }>['data'];
  readonly ctx?: Extract<Syscall, { sys: 'prog_test_run' }>['ctx'];
  /** The program's return value (a packet program returns its verdict). */
  readonly ret?: number;
  /** The machine's possible CPUs (a per-CPU map's copies). */
  readonly cpus?: number;
}

const GLOBALS: P.GlobalDecl[] = [{ name: 'mem', kind: 'bytes', size: 16 }, { name: 'out', kind: 'bytes', size: 16 }];

/** A `SEC("syscall")` program `example` (or of `section`) with `body`, run once by a task (`/bin/app`) with `bpf(BPF_PROG_TEST_RUN)`. */
function syscallExample(name: string, description: string, body: readonly Op[], o: Opts & { readonly section?: string }): Scenario {
  return {
    name, description, version: o.version ?? '6.19', ...(o.cpus === undefined ? {} : { cpus: o.cpus }), files: [{ path: '/bin/app', size: 4096, content: { pattern: 3 } }],
    objects: [{ name, maps: o.maps ?? [], globals: [...GLOBALS, ...(o.globals ?? [])], programs: [{ name: 'example', section: o.section ?? 'syscall', body: [...body, ret(imm(o.ret ?? 0))], ...(o.locals === undefined ? {} : { locals: o.locals }) }], subprogs: o.subprogs ?? [] }],
    tasks: [{
      comm: 'runner', exe: '/bin/app',
      script: [...(o.script ?? []), { sys: 'prog_test_run', prog: 'example', ...(o.data === undefined ? {} : { data: o.data }), ...(o.ctx === undefined ? {} : { ctx: o.ctx }) }, ...(o.after ?? [])],
    }],
    expect: o.expect,
  };
}

/** An `lsm/file_open` program `example` with `body`, run when a task opens `/data` (8 KiB, cached). */
function hookExample(name: string, description: string, body: readonly Op[], o: Opts): Scenario {
  return {
    name, description, version: o.version ?? '6.19',
    files: [{ path: '/bin/app', size: 4096, content: { pattern: 3 } }, { path: '/data', size: 8192, content: { pattern: 7 }, cache: 'warm' }],
    objects: [{ name, maps: o.maps ?? [], globals: [...GLOBALS, ...(o.globals ?? [])], programs: [{ name: 'example', section: 'lsm/file_open', body: [...body, ret(imm(0))] }], subprogs: o.subprogs ?? [] }],
    tasks: [{ comm: 'app', exe: '/bin/app', script: [{ sys: 'open', path: '/data', fd: 'f' }, { sys: 'close', fd: 'f' }] }],
    expect: o.expect,
  };
}

/** `lsm/file_open` schedules `work` on arrmap[0] twice with `fn` (the second is -EBUSY); `work` sets `ran`. */
function taskWorkExample(fn: string, version: KernelVersion): Scenario {
  const extra = fn.endsWith('_impl') ? [NULL] : [];
  const mode = fn.includes('signal') ? 'TWA_SIGNAL' : 'TWA_RESUME';
  return hookExample(`example_${fn}`, `The hook schedules a task_work callback on its task (${mode}); a second schedule on the same slot, still pending, is -EBUSY. The callback runs once, on the task's way back to user mode.`, [
    call('bpf_map_lookup_elem', [map('arrmap'), imm(0)], 'r6'),
    goto('out', when('r6', '==', NULL)),
    call('bpf_get_current_task_btf', [], 'r7'),
    call(fn, [r('r7'), tw('r6'), map('arrmap'), cb('work'), ...extra]),
    call(fn, [r('r7'), tw('r6'), map('arrmap'), cb('work'), ...extra]),
    label('out'),
  ], {
    version,
    maps: [{ name: 'arrmap', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 1 }],
    globals: [{ name: 'ran', kind: 'int' }],
    subprogs: [{ name: 'work', isStatic: true, body: [store('ran', imm(1)), ret(imm(0))] }],
    expect: { calls: calls(fn, [0, '-EBUSY']), globals: { ran: 1 }, runs: [{ program: 'work', times: 1 }] },
  });
}

const MAPS: P.MapDecl[] = [
  { name: 'h', type: 'hash', maxEntries: 4, valueSize: 8, taskWorkFields: 0 },
  { name: 'a', type: 'array', maxEntries: 2, valueSize: 8, taskWorkFields: 0 },
];

/** An example made of direct calls on a session (what a scenario file cannot express yet). */
export interface SessionExample {
  readonly kind: 'session';
  readonly name: string;
  readonly description: string;
  readonly version: KernelVersion;
  readonly expect: Expectations;
  /** The calls, made on a fresh session of `version`. */
  readonly build: (s: Session) => void;
}

export type KfuncExample = Scenario | SessionExample;

/** The user-memory kfuncs: copy "hello world" (and its NUL) from the task into a 16-byte dynptr; an address with no memory. */
function userCopyExample(fn: string, str: boolean, task: boolean): Scenario {
  const tsk = task ? [r('r6')] : [];
  return syscallExample(`example_${fn}`, `Copy ${str ? 'the string "hello world" (returns its length with the NUL)' : '8 bytes of "hello world"'} from the ${task ? 'given task\'s' : 'running task\'s'} user memory into a 16-byte LOCAL dynptr; past the dynptr's end; from an address with no user memory.`, [
    ...local,
    ...(task ? [call('bpf_get_current_task_btf', [], 'r6')] : []),
    mov('r1', glob('user_ptr')),
    call(fn, [dynptr('d'), imm(0), imm(str ? 16 : 8), r('r1'), ...tsk]),
    call(fn, [dynptr('d'), imm(12), imm(8), r('r1'), ...tsk]),
    call(fn, [dynptr('d'), imm(0), imm(8), imm(0x1000), ...tsk]),
  ], {
    globals: [{ name: 'user_ptr', kind: 'int' }],
    script: [{ sys: 'user_write', addr: ADDR, text: 'hello world' }, { sys: 'set_global', global: 'user_ptr', value: ADDR }],
    expect: { calls: calls(fn, [str ? 12 : 0, '-E2BIG', '-EFAULT']) },
  });
}

/** A ring buffer map of one page, `rb`. */
const RING: P.MapDecl[] = [{ name: 'rb', type: 'ringbuf', maxEntries: 4096, valueSize: 0, taskWorkFields: 0 }];
/** User space reads the ring after the run (`ring_buffer__consume`): the result is the count of records, their bytes go into `got`. */
const CONSUME: Syscall[] = [{ sys: 'ringbuf_consume', map: 'rb', into: 'got' }];
const GOT: P.GlobalDecl[] = [{ name: 'got', kind: 'bytes', size: 32 }];

/**
 * A ring buffer of one page: reserve a 16-byte record as a RINGBUF dynptr, write into it, then submit
 * or discard it; user space then reads the ring. For the reservation, also a flag and a record larger
 * than the ring — each failed reservation leaves a null dynptr that must still be released.
 */
function ringExample(fn: 'bpf_ringbuf_reserve_dynptr' | 'bpf_ringbuf_submit_dynptr' | 'bpf_ringbuf_discard_dynptr'): Scenario {
  const submit = fn !== 'bpf_ringbuf_discard_dynptr';
  const reserve = fn === 'bpf_ringbuf_reserve_dynptr';
  return syscallExample(`example_${fn}`, reserve
    ? 'Reserve a 16-byte record in a 4096-byte ring buffer (and submit it: user space reads one record); flags other than 0; a record larger than the ring (-EINVAL, not -EAGAIN). A failed reservation leaves a null dynptr, which the verifier still wants released.'
    : `Reserve a 16-byte record, write into it, and ${submit ? 'submit it: user space (ring_buffer__consume) then reads one record' : 'discard it: user space (ring_buffer__consume) skips it and reads none'}.`, [
    call('bpf_ringbuf_reserve_dynptr', [map('rb'), imm(16), imm(0), dynptr('rec')]),
    call('bpf_dynptr_write', [dynptr('rec'), imm(0), buf('mem'), imm(16), imm(0)]),
    call(submit ? 'bpf_ringbuf_submit_dynptr' : 'bpf_ringbuf_discard_dynptr', [dynptr('rec'), imm(0)]),
    ...(reserve ? [
      call('bpf_ringbuf_reserve_dynptr', [map('rb'), imm(16), imm(1), dynptr('rec2')]), call('bpf_ringbuf_discard_dynptr', [dynptr('rec2'), imm(0)]),
      call('bpf_ringbuf_reserve_dynptr', [map('rb'), imm(8192), imm(0), dynptr('rec3')]), call('bpf_ringbuf_discard_dynptr', [dynptr('rec3'), imm(0)]),
    ] : []),
  ], {
    maps: RING, globals: GOT, locals: [P.local('rec', 'dynptr'), P.local('rec2', 'dynptr'), P.local('rec3', 'dynptr')], after: CONSUME,
    expect: {
      calls: reserve ? calls(fn, [0, '-EINVAL', '-EINVAL']) : calls(fn, ['void']),
      results: [{ task: 0, syscall: 1, ret: submit ? 1 : 0 }],
    },
  });
}

/** The ring buffer helpers without dynptrs: a record as memory the program writes through. */
function ringHelperExample(fn: 'bpf_ringbuf_reserve' | 'bpf_ringbuf_submit' | 'bpf_ringbuf_discard'): Scenario {
  const discard = fn === 'bpf_ringbuf_discard';
  return syscallExample(`example_${fn}`, fn === 'bpf_ringbuf_reserve'
    ? 'Reserve an 8-byte record (its memory: the first record, at position 0 of the ring), store into it and submit it; flags other than 0 give NULL, and so does a record larger than the ring. The program must NULL-check the record and submit or discard it.'
    : `Reserve an 8-byte record, store a byte into it and ${discard ? 'discard it: user space reads no record' : 'submit it: user space reads one record'}.`, [
    call('bpf_ringbuf_reserve', [map('rb'), imm(8), imm(0)], 'p'), goto('none', when('p', '==', NULL)),
    P.st(1, r('p'), 0, imm(0x2a)), call(discard ? 'bpf_ringbuf_discard' : 'bpf_ringbuf_submit', [r('p'), imm(0)]), label('none'),
    ...(fn === 'bpf_ringbuf_reserve' ? [
      call('bpf_ringbuf_reserve', [map('rb'), imm(8), imm(1)], 'q'), goto('none2', when('q', '==', NULL)), call('bpf_ringbuf_discard', [r('q'), imm(0)]), label('none2'),
      call('bpf_ringbuf_reserve', [map('rb'), imm(8192), imm(0)], 'q2'), goto('none3', when('q2', '==', NULL)), call('bpf_ringbuf_discard', [r('q2'), imm(0)]), label('none3'),
    ] : []),
  ], {
    maps: RING, globals: GOT, after: CONSUME,
    expect: {
      calls: fn === 'bpf_ringbuf_reserve' ? calls(fn, ['rec@map#1:0', 'NULL', 'NULL']) : calls(fn, ['void']),
      results: [{ task: 0, syscall: 1, ret: discard ? 0 : 1 }],
    },
  });
}

/** A packet kfunc in the program a test run gives the packet to, and with a flag it refuses. */
function packetExample(fn: 'bpf_dynptr_from_skb' | 'bpf_dynptr_from_skb_meta' | 'bpf_dynptr_from_xdp'): Scenario {
  const xdp = fn === 'bpf_dynptr_from_xdp';
  const what = xdp ? 'an XDP packet: 72 bytes of data_in, the first 8 of them metadata (ctx->data = 8), which the dynptr leaves out'
    : fn === 'bpf_dynptr_from_skb' ? 'the skb of a tc program run on the selftests\' pkt_v4 (54 bytes, from the MAC header)'
      : 'the metadata of a tc program\'s skb: a test run gives an skb none, so the dynptr is empty';
  return syscallExample(`example_${fn}`, `A dynptr over ${what}, then its size; flags other than 0 are -EINVAL (and a null dynptr). The program is run by BPF_PROG_TEST_RUN with the packet.`, [
    call(fn, [P.ctxPtr, imm(0), dynptr('d')]),
    call(fn, [P.ctxPtr, imm(1), dynptr('e')]),
    call('bpf_dynptr_size', [dynptr('d')]),
  ], {
    section: xdp ? 'xdp' : 'tc', ret: xdp ? 2 : 0,
    data: xdp ? { size: 72, fill: 1 } : 'pkt_v4', ...(xdp ? { ctx: { data: 8, dataEnd: 72 } } : {}),
    expect: { calls: [...calls(fn, [0, '-EINVAL']), { fn: 'bpf_dynptr_size', ret: xdp ? '64' : fn === 'bpf_dynptr_from_skb' ? '54' : '0' }] },
  });
}

/** A kernel-memory kfunc: the program's own memory (a global: kernel memory); a user address; an unmapped kernel address. */
function kernelReadExample(fn: 'bpf_probe_read_kernel_dynptr' | 'bpf_probe_read_kernel_str_dynptr'): Scenario {
  const str = fn === 'bpf_probe_read_kernel_str_dynptr';
  return syscallExample(`example_${fn}`, `Read ${str ? 'the string "kernel" (returns its length with the NUL)' : '8 bytes'} of the program's own memory (a global is kernel memory) into a 16-byte LOCAL dynptr; a user address is refused with -ERANGE; a kernel address with nothing mapped is -EFAULT.`, [
    ...local,
    call(fn, [dynptr('d'), imm(0), imm(str ? 16 : 8), buf('kstr')]),
    call(fn, [dynptr('d'), imm(0), imm(8), imm(ADDR)]),
    call(fn, [dynptr('d'), imm(0), imm(8), imm(KADDR)]),
  ], {
    globals: [{ name: 'kstr', kind: 'bytes', size: 16, init: 'kernel\0 and more' }],
    expect: { calls: calls(fn, [str ? 7 : 0, '-ERANGE', '-EFAULT']) },
  });
}

/** An open-coded iterator over [0, 3): each bpf_iter_num_next gives 0, 1, 2, then NULL; start > end is -EINVAL (and an empty iterator). */
function iterExample(fn: string): Scenario {
  return syscallExample(`example_${fn}`, 'An open-coded iterator (`bpf_for(i, 0, 3)`): new, next until NULL (each gives a pointer to the current number; the loop sums them: 3), destroy. An iterator over [3, 0): -EINVAL, and its first next is NULL.', [
    call('bpf_iter_num_new', [addr('it'), imm(0), imm(3)]),
    label('top'), call('bpf_iter_num_next', [addr('it')], 'p'), goto('end', when('p', '==', NULL)),
    ld('v', 4, r('p'), 0), mov('acc', glob('sum')), alu('add', 'acc', r('v')), store('sum', r('acc')), goto('top'),
    label('end'), call('bpf_iter_num_destroy', [addr('it')]),
    call('bpf_iter_num_new', [addr('it2'), imm(3), imm(0)]),
    call('bpf_iter_num_next', [addr('it2')]),
    call('bpf_iter_num_destroy', [addr('it2')]),
  ], {
    globals: [{ name: 'sum', kind: 'int' }],
    locals: [P.local('it', 'iter_num'), P.local('it2', 'iter_num')],
    expect: {
      calls: fn === 'bpf_iter_num_new' ? calls(fn, [0, '-EINVAL']) : fn === 'bpf_iter_num_next' ? calls(fn, ['ptr[4]', 'ptr[4]', 'ptr[4]', 'NULL', 'NULL']) : calls(fn, ['void', 'void']),
      globals: { sum: 3 },
    },
  });
}

/** Run example `ex`: a scenario with `runScenario`, a session example on a fresh session; checked the same way. */
export function runKfuncExample(ex: KfuncExample): ScenarioRun {
  if (!('kind' in ex)) return runScenario(parseScenario(ex, ex.name));
  const s = new Session({ version: ex.version });
  ex.build(s);
  const scenario: Scenario = { name: ex.name, description: ex.description, version: ex.version, files: [], objects: [], tasks: [], expect: ex.expect };
  const checks = checkExpectations(scenario, s, ex.version);
  return { scenario, session: s, loadErrors: [], checks, ok: checks.every((c) => c.ok) };
}

const EXAMPLES: Readonly<Record<string, KfuncExample>> = {
  bpf_dynptr_from_mem: syscallExample('example_from_mem', 'A LOCAL dynptr over a 16-byte global; flags must be 0.', [...local, ...nullLocal], {
    expect: { calls: calls('bpf_dynptr_from_mem', [0, '-EINVAL']) },
  }),
  bpf_dynptr_from_file: hookExample('example_from_file', 'A FILE dynptr over the file being opened; flags must be 0 (the dynptr is then null, and still discarded).', [
    call('bpf_dynptr_from_file', [ctxFile, imm(0), dynptr('f')]),
    call('bpf_dynptr_from_file', [ctxFile, imm(1), dynptr('g')]),
    call('bpf_dynptr_file_discard', [dynptr('f')]),
    call('bpf_dynptr_file_discard', [dynptr('g')]),
  ], { expect: { calls: calls('bpf_dynptr_from_file', [0, '-EINVAL']), refs: 'baseline' } }),
  bpf_dynptr_read: syscallExample('example_read', 'Reads from a 16-byte LOCAL dynptr: all of it; one byte at offset 16 (past the end); flags other than 0.', [
    ...local,
    call('bpf_dynptr_read', [buf('out'), imm(16), dynptr('d'), imm(0), imm(0)]),
    call('bpf_dynptr_read', [buf('out'), imm(1), dynptr('d'), imm(16), imm(0)]),
    call('bpf_dynptr_read', [buf('out'), imm(1), dynptr('d'), imm(0), imm(1)]),
  ], { expect: { calls: calls('bpf_dynptr_read', [0, '-E2BIG', '-EINVAL']) } }),
  bpf_dynptr_write: syscallExample('example_write', 'Writes into a 16-byte LOCAL dynptr: 4 bytes at 0; 4 bytes at 14 (past the end); flags other than 0 (checked after the bounds).', [
    ...local,
    call('bpf_dynptr_write', [dynptr('d'), imm(0), buf('out'), imm(4), imm(0)]),
    call('bpf_dynptr_write', [dynptr('d'), imm(14), buf('out'), imm(4), imm(0)]),
    call('bpf_dynptr_write', [dynptr('d'), imm(0), buf('out'), imm(4), imm(1)]),
  ], { expect: { calls: calls('bpf_dynptr_write', [0, '-E2BIG', '-EINVAL']) } }),
  bpf_dynptr_adjust: syscallExample('example_adjust', 'Narrow a 16-byte dynptr to [4, 8); then start > end; then an end past the new size (4).', [
    ...local,
    call('bpf_dynptr_adjust', [dynptr('d'), imm(4), imm(8)]),
    call('bpf_dynptr_adjust', [dynptr('d'), imm(3), imm(2)]),
    call('bpf_dynptr_adjust', [dynptr('d'), imm(0), imm(5)]),
  ], { expect: { calls: calls('bpf_dynptr_adjust', [0, '-EINVAL', '-ERANGE']) } }),
  bpf_dynptr_size: syscallExample('example_size', 'The size of a 16-byte dynptr, after adjusting it to [2, 10), and of a null dynptr (-EINVAL as a u64).', [
    ...local,
    call('bpf_dynptr_size', [dynptr('d')]),
    call('bpf_dynptr_adjust', [dynptr('d'), imm(2), imm(10)]),
    call('bpf_dynptr_size', [dynptr('d')]),
    ...nullLocal,
    call('bpf_dynptr_size', [dynptr('e')]),
  ], { expect: { calls: calls('bpf_dynptr_size', ['16', '8', '0xffffffffffffffea (-EINVAL)']) } }),
  bpf_dynptr_is_null: syscallExample('example_is_null', 'A dynptr made by a successful bpf_dynptr_from_mem, and one whose creation failed.', [
    ...local, call('bpf_dynptr_is_null', [dynptr('d')]), ...nullLocal, call('bpf_dynptr_is_null', [dynptr('e')]),
  ], { expect: { calls: calls('bpf_dynptr_is_null', ['false', 'true']) } }),
  bpf_dynptr_is_rdonly: hookExample('example_is_rdonly', 'A LOCAL dynptr is writable; every FILE dynptr is read-only; a null dynptr answers false.', [
    ...local, call('bpf_dynptr_is_rdonly', [dynptr('d')]),
    call('bpf_dynptr_from_file', [ctxFile, imm(0), dynptr('f')]), call('bpf_dynptr_is_rdonly', [dynptr('f')]), call('bpf_dynptr_file_discard', [dynptr('f')]),
    ...nullLocal, call('bpf_dynptr_is_rdonly', [dynptr('e')]),
  ], { expect: { calls: calls('bpf_dynptr_is_rdonly', ['false', 'true', 'false']) } }),
  bpf_dynptr_clone: syscallExample('example_clone', 'Clone a LOCAL dynptr; cloning a null one is -EINVAL.', [
    ...local, call('bpf_dynptr_clone', [dynptr('d'), dynptr('c')]), ...nullLocal, call('bpf_dynptr_clone', [dynptr('e'), dynptr('c2')]),
  ], { expect: { calls: calls('bpf_dynptr_clone', [0, '-EINVAL']) } }),
  bpf_dynptr_slice: syscallExample('example_slice', 'A 4-byte slice at 0 of a 16-byte LOCAL dynptr (a pointer into it); at 14 it would pass the end: NULL.', [
    ...local, call('bpf_dynptr_slice', [dynptr('d'), imm(0), buf('out'), imm(4)]), call('bpf_dynptr_slice', [dynptr('d'), imm(14), buf('out'), imm(4)]),
  ], { expect: { calls: calls('bpf_dynptr_slice', ['ptr[4]', 'NULL']) } }),
  bpf_dynptr_slice_rdwr: syscallExample('example_slice_rdwr', 'A writable 4-byte slice of a LOCAL dynptr, in a program type that may write packet data (SEC("tc"), run on pkt_v4; a SEC("syscall") program is refused by the verifier); a null dynptr gives NULL.', [
    ...local, call('bpf_dynptr_slice_rdwr', [dynptr('d'), imm(0), buf('out'), imm(4)]), ...nullLocal, call('bpf_dynptr_slice_rdwr', [dynptr('e'), imm(0), buf('out'), imm(4)]),
  ], { section: 'tc', data: 'pkt_v4', expect: { calls: calls('bpf_dynptr_slice_rdwr', ['ptr[4]', 'NULL']) } }),
  bpf_dynptr_data: syscallExample('example_data', 'A pointer to 4 bytes at 0 of a LOCAL dynptr; 4 bytes at 14 pass the end: NULL.', [
    ...local, call('bpf_dynptr_data', [dynptr('d'), imm(0), imm(4)]), call('bpf_dynptr_data', [dynptr('d'), imm(14), imm(4)]),
  ], { expect: { calls: calls('bpf_dynptr_data', ['ptr[4]', 'NULL']) } }),
  bpf_dynptr_file_discard: hookExample('example_file_discard', 'Discard a FILE dynptr, and a null one (its bpf_dynptr_from_file failed): both 0, and nothing is left referenced.', [
    call('bpf_dynptr_from_file', [ctxFile, imm(0), dynptr('f')]),
    call('bpf_dynptr_read', [buf('out'), imm(8), dynptr('f'), imm(4096), imm(0)]),
    call('bpf_dynptr_file_discard', [dynptr('f')]),
    call('bpf_dynptr_from_file', [ctxFile, imm(1), dynptr('g')]),
    call('bpf_dynptr_file_discard', [dynptr('g')]),
  ], { expect: { calls: calls('bpf_dynptr_file_discard', [0, 0]), refs: 'baseline' } }),
  bpf_get_task_exe_file: hookExample('example_get_task_exe_file', 'The opening task\'s executable (opened when the task was spawned, file#1), with a reference the program puts back.', [
    call('bpf_get_current_task_btf', [], 'r6'),
    call('bpf_get_task_exe_file', [r('r6')], 'r7'),
    goto('out', when('r7', '==', NULL)),
    call('bpf_put_file', [r('r7')]),
    label('out'),
  ], { expect: { calls: calls('bpf_get_task_exe_file', ['file#1']), refs: 'baseline' } }),
  bpf_put_file: hookExample('example_put_file', 'Put the reference bpf_get_task_exe_file took: the counts return to their baseline.', [
    call('bpf_get_current_task_btf', [], 'r6'),
    call('bpf_get_task_exe_file', [r('r6')], 'r7'),
    goto('out', when('r7', '==', NULL)),
    call('bpf_put_file', [r('r7')]),
    label('out'),
  ], { expect: { calls: calls('bpf_put_file', ['void']), refs: 'baseline' } }),
  bpf_get_current_task_btf: syscallExample('example_get_current_task_btf', 'The task running the program (the first task has pid 100).', [
    call('bpf_get_current_task_btf', [], 'r6'),
  ], { expect: { calls: calls('bpf_get_current_task_btf', ['task(pid 100)']) } }),
  bpf_get_current_pid_tgid: syscallExample('example_get_current_pid_tgid', 'tgid << 32 | pid of the running task (pid 100, its own thread group leader).', [
    call('bpf_get_current_pid_tgid', [], 'r6'),
  ], { expect: { calls: calls('bpf_get_current_pid_tgid', [`0x${((100n << 32n) | 100n).toString(16)}`]) } }),
  bpf_copy_from_user_str: syscallExample('example_copy_from_user_str', 'Copy "hello world" from the task\'s memory: the length with the NUL; an unknown flag; an address with no user memory.', [
    mov('r1', glob('user_ptr')),
    call('bpf_copy_from_user_str', [buf('out'), imm(16), r('r1'), imm(0)]),
    call('bpf_copy_from_user_str', [buf('out'), imm(16), r('r1'), imm(8)]),
    call('bpf_copy_from_user_str', [buf('out'), imm(16), imm(0x1000), imm(0)]),
  ], {
    globals: [{ name: 'user_ptr', kind: 'int' }],
    script: [{ sys: 'user_write', addr: ADDR, text: 'hello world' }, { sys: 'set_global', global: 'user_ptr', value: ADDR }],
    expect: { calls: calls('bpf_copy_from_user_str', [12, '-EINVAL', '-EFAULT']) },
  }),
  bpf_probe_read_user_str: syscallExample('example_probe_read_user_str', 'Copy "hello world" from the task\'s memory: the length with the NUL; into 6 bytes (cut to 5 and a NUL: 6); an address with no user memory: -EFAULT, and dst is zeroed.', [
    mov('r1', glob('user_ptr')),
    call('bpf_probe_read_user_str', [buf('out'), imm(16), r('r1')]),
    call('bpf_probe_read_user_str', [buf('out'), imm(6), r('r1')]),
    call('bpf_probe_read_user_str', [buf('out'), imm(16), imm(0x1000)]),
  ], {
    globals: [{ name: 'user_ptr', kind: 'int' }],
    script: [{ sys: 'user_write', addr: ADDR, text: 'hello world' }, { sys: 'set_global', global: 'user_ptr', value: ADDR }],
    expect: { calls: calls('bpf_probe_read_user_str', [12, 6, '-EFAULT']) },
  }),
  bpf_map_lookup_elem: syscallExample('example_map_lookup_elem', 'Look up key 1 of a hash map before and after inserting it.', [
    call('bpf_map_lookup_elem', [map('h'), imm(1)]),
    call('bpf_map_update_elem', [map('h'), imm(1), buf('out'), imm(0)]),
    call('bpf_map_lookup_elem', [map('h'), imm(1)]),
  ], { maps: MAPS, expect: { calls: calls('bpf_map_lookup_elem', ['NULL', '&map#1[1]']) } }),
  bpf_map_lookup_percpu_elem: syscallExample('example_map_lookup_percpu_elem', 'A per-CPU hash map on a machine of 2 possible CPUs: key 1 inserted (CPU 0\'s copy the value, CPU 1\'s zeroed), then CPU 1\'s copy of it; CPU 2 is past the possible CPUs; key 2 is missing.', [
    call('bpf_map_update_elem', [map('p'), imm(1), buf('out'), imm(0)]),
    call('bpf_map_lookup_percpu_elem', [map('p'), imm(1), imm(1)]),
    call('bpf_map_lookup_percpu_elem', [map('p'), imm(1), imm(2)]),
    call('bpf_map_lookup_percpu_elem', [map('p'), imm(2), imm(0)]),
  ], { cpus: 2, maps: [{ name: 'p', type: 'percpu_hash', maxEntries: 4, valueSize: 8, taskWorkFields: 0 }], expect: { calls: calls('bpf_map_lookup_percpu_elem', ['&map#1[1]@cpu1', 'NULL', 'NULL']) } }),
  bpf_map_update_elem: syscallExample('example_map_update_elem', 'Updates of a 2-element array and a hash map: in range; out of range; BPF_NOEXIST on an array element (they always exist); BPF_EXIST on a missing hash key; an unknown flag.', [
    call('bpf_map_update_elem', [map('a'), imm(0), buf('out'), imm(0)]),
    call('bpf_map_update_elem', [map('a'), imm(2), buf('out'), imm(0)]),
    call('bpf_map_update_elem', [map('a'), imm(0), buf('out'), imm(BPF_NOEXIST)]),
    call('bpf_map_update_elem', [map('h'), imm(1), buf('out'), imm(BPF_EXIST)]),
    call('bpf_map_update_elem', [map('h'), imm(1), buf('out'), imm(8)]),
  ], { maps: MAPS, expect: { calls: calls('bpf_map_update_elem', [0, '-E2BIG', '-EEXIST', '-ENOENT', '-EINVAL']) } }),
  bpf_for_each_map_elem: syscallExample('example_for_each_map_elem', 'Keys 3, 5 and 9 of a hash map walked by a callback that adds each key to a global (17) and counts its calls: 3; flags other than 0 are -EINVAL and call nothing; an array of 2 is walked by index (2 more calls, keys 0 and 1: 18).', [
    call('bpf_map_update_elem', [map('h'), imm(3), buf('out'), imm(0)]),
    call('bpf_map_update_elem', [map('h'), imm(5), buf('out'), imm(0)]),
    call('bpf_map_update_elem', [map('h'), imm(9), buf('out'), imm(0)]),
    call('bpf_for_each_map_elem', [map('h'), cb('sum'), NULL, imm(0)]),
    call('bpf_for_each_map_elem', [map('h'), cb('sum'), NULL, imm(1)]),
    call('bpf_for_each_map_elem', [map('a'), cb('sum'), NULL, imm(0)]),
  ], {
    maps: MAPS,
    globals: [{ name: 'total', kind: 'u64' }],
    subprogs: [{ name: 'sum', isStatic: true, returns: 'long', params: [{ name: 'm', type: 'map' }, { name: 'k', type: 'ptr' }, { name: 'v', type: 'ptr' }, { name: 'ctx', type: 'ptr' }], body: [
      ld('key', 4, r('k'), 0), mov('t', glob('total')), alu('add', 't', r('key')), store('total', r('t')), ret(imm(0)),
    ] }],
    expect: { calls: calls('bpf_for_each_map_elem', [3, '-EINVAL', 2]), globals: { total: 18 } },
  }),
  bpf_map_delete_elem: syscallExample('example_map_delete_elem', 'An array element cannot be deleted; a missing hash key; a present one.', [
    call('bpf_map_delete_elem', [map('a'), imm(0)]),
    call('bpf_map_delete_elem', [map('h'), imm(1)]),
    call('bpf_map_update_elem', [map('h'), imm(1), buf('out'), imm(0)]),
    call('bpf_map_delete_elem', [map('h'), imm(1)]),
  ], { maps: MAPS, expect: { calls: calls('bpf_map_delete_elem', ['-EINVAL', '-ENOENT', 0]) } }),
  bpf_dynptr_memset: syscallExample('example_memset', 'Fill 8 bytes at 4 of a 16-byte LOCAL dynptr with 0xab; 8 bytes at 9 pass the end.', [
    ...local, call('bpf_dynptr_memset', [dynptr('d'), imm(4), imm(8), imm(0xab)]), call('bpf_dynptr_memset', [dynptr('d'), imm(9), imm(8), imm(1)]),
  ], { expect: { calls: calls('bpf_dynptr_memset', [0, '-E2BIG']) } }),
  bpf_dynptr_copy: syscallExample('example_copy', 'Copy all 16 bytes of one LOCAL dynptr into another; then into the second at offset 8, past its end.', [
    ...local, call('bpf_dynptr_from_mem', [buf('out'), imm(16), imm(0), dynptr('o')]),
    call('bpf_dynptr_copy', [dynptr('o'), imm(0), dynptr('d'), imm(0), imm(16)]),
    call('bpf_dynptr_copy', [dynptr('o'), imm(8), dynptr('d'), imm(0), imm(16)]),
  ], { expect: { calls: calls('bpf_dynptr_copy', [0, '-E2BIG']) } }),
  bpf_probe_read_user_dynptr: userCopyExample('bpf_probe_read_user_dynptr', false, false),
  bpf_probe_read_user_str_dynptr: userCopyExample('bpf_probe_read_user_str_dynptr', true, false),
  bpf_copy_from_user_dynptr: userCopyExample('bpf_copy_from_user_dynptr', false, false),
  bpf_copy_from_user_str_dynptr: userCopyExample('bpf_copy_from_user_str_dynptr', true, false),
  bpf_copy_from_user_task_dynptr: userCopyExample('bpf_copy_from_user_task_dynptr', false, true),
  bpf_copy_from_user_task_str_dynptr: userCopyExample('bpf_copy_from_user_task_str_dynptr', true, true),
  bpf_probe_read_kernel_dynptr: kernelReadExample('bpf_probe_read_kernel_dynptr'),
  bpf_probe_read_kernel_str_dynptr: kernelReadExample('bpf_probe_read_kernel_str_dynptr'),
  bpf_ringbuf_reserve_dynptr: ringExample('bpf_ringbuf_reserve_dynptr'),
  bpf_ringbuf_submit_dynptr: ringExample('bpf_ringbuf_submit_dynptr'),
  bpf_ringbuf_discard_dynptr: ringExample('bpf_ringbuf_discard_dynptr'),
  bpf_ringbuf_reserve: ringHelperExample('bpf_ringbuf_reserve'),
  bpf_ringbuf_submit: ringHelperExample('bpf_ringbuf_submit'),
  bpf_ringbuf_discard: ringHelperExample('bpf_ringbuf_discard'),
  bpf_ringbuf_output: syscallExample('example_ringbuf_output', 'Copy 16 bytes into a new record and commit it at once; flags other than the two wake-up flags are -EINVAL; a record that cannot fit in the 4096-byte ring is -EAGAIN (bpf_ringbuf_reserve_dynptr says -EINVAL for the same). User space reads one record.', [
    call('bpf_ringbuf_output', [map('rb'), buf('mem'), imm(16), imm(0)]),
    call('bpf_ringbuf_output', [map('rb'), buf('mem'), imm(16), imm(4)]),
    call('bpf_ringbuf_output', [map('rb'), buf('big'), imm(4096), imm(0)]),
  ], { maps: RING, globals: [...GOT, { name: 'big', kind: 'bytes', size: 4096 }], after: CONSUME, expect: { calls: calls('bpf_ringbuf_output', [0, '-EINVAL', '-EAGAIN']), results: [{ task: 0, syscall: 1, ret: 1 }] } }),
  bpf_ringbuf_query: syscallExample('example_ringbuf_query', 'Two 16-byte records (24 bytes each with their headers), the second discarded; then the data available (48: discarded records count until user space moves past them), the ring\'s size, the consumer and producer positions, and an unknown query (0).', [
    call('bpf_ringbuf_output', [map('rb'), buf('mem'), imm(16), imm(0)]),
    call('bpf_ringbuf_reserve', [map('rb'), imm(16), imm(0)], 'p'), goto('none', when('p', '==', NULL)), call('bpf_ringbuf_discard', [r('p'), imm(0)]), label('none'),
    call('bpf_ringbuf_query', [map('rb'), imm(0)]), call('bpf_ringbuf_query', [map('rb'), imm(1)]), call('bpf_ringbuf_query', [map('rb'), imm(2)]),
    call('bpf_ringbuf_query', [map('rb'), imm(3)]), call('bpf_ringbuf_query', [map('rb'), imm(9)]),
  ], { maps: RING, globals: GOT, expect: { calls: calls('bpf_ringbuf_query', ['48', '4096', '0', '48', '0']) } }),
  bpf_skb_pull_data: syscallExample('example_skb_pull_data', 'A tc program on pkt_v4 (54 bytes): pull the linear part as it is (len 0), all 54 bytes, then one byte more than the packet (-ENOMEM).', [
    call('bpf_skb_pull_data', [P.ctxPtr, imm(0)]), call('bpf_skb_pull_data', [P.ctxPtr, imm(54)]), call('bpf_skb_pull_data', [P.ctxPtr, imm(55)]),
  ], { section: 'tc', data: 'pkt_v4', expect: { calls: calls('bpf_skb_pull_data', [0, 0, '-ENOMEM']) } }),
  bpf_xdp_adjust_head: syscallExample('example_xdp_adjust_head', 'An XDP program on 64 bytes: grow the packet by 14 bytes into the headroom, then an XDP dynptr over it is 78 bytes; moving the start 300 bytes back passes the room kept for the xdp_frame, and 70 bytes forward would leave fewer than ETH_HLEN: both -EINVAL.', [
    call('bpf_xdp_adjust_head', [P.ctxPtr, imm(-14)]), call('bpf_dynptr_from_xdp', [P.ctxPtr, imm(0), dynptr('d')]), call('bpf_dynptr_size', [dynptr('d')]),
    call('bpf_xdp_adjust_head', [P.ctxPtr, imm(-300)]), call('bpf_xdp_adjust_head', [P.ctxPtr, imm(70)]),
  ], { section: 'xdp', ret: 2, data: { size: 64 }, expect: { calls: [...calls('bpf_xdp_adjust_head', [0, '-EINVAL', '-EINVAL']), { fn: 'bpf_dynptr_size', ret: '78' }] } }),
  bpf_dynptr_from_skb: packetExample('bpf_dynptr_from_skb'),
  bpf_dynptr_from_skb_meta: packetExample('bpf_dynptr_from_skb_meta'),
  bpf_dynptr_from_xdp: packetExample('bpf_dynptr_from_xdp'),
  bpf_get_smp_processor_id: syscallExample('example_get_smp_processor_id', 'The CPU a program runs on: every operation of the model runs on CPU 0, on a machine of 4 possible CPUs too.', [
    call('bpf_get_smp_processor_id', [], 'r6'),
  ], { cpus: 4, expect: { calls: calls('bpf_get_smp_processor_id', ['0']) } }),
  bpf_get_prandom_u32: syscallExample('example_get_prandom_u32', 'A pseudo-random u32 is a choice of the run\'s chooser (recorded with the schedule\'s choices, so a run replays): the default schedule picks 0 for every choice.', [
    call('bpf_get_prandom_u32', [], 'r6'),
    call('bpf_get_prandom_u32', [], 'r7'),
  ], { expect: { calls: calls('bpf_get_prandom_u32', ['0', '0']) } }),
  bpf_ktime_get_ns: syscallExample('example_ktime_get_ns', 'The monotonic clock, in ns: one virtual tick is 1000 ns. The task runs the program, sleeps 3 ticks and runs it again; the program keeps the first reading and stores the difference.', [
    call('bpf_ktime_get_ns', [], 'now'),
    mov('was', glob('seen')), goto('second', when('was', '!=', imm(0))), store('t0', r('now')), store('seen', imm(1)), goto('done'),
    label('second'), mov('first', glob('t0')), alu('sub', 'now', r('first')), store('delta', r('now')),
    label('done'),
  ], {
    globals: [{ name: 'seen', kind: 'int' }, { name: 't0', kind: 'u64' }, { name: 'delta', kind: 'u64' }],
    script: [{ sys: 'prog_test_run', prog: 'example' }, { sys: 'sleep', ticks: 3 }],
    expect: { globals: { delta: 3000 } },
  }),
  bpf_strncmp: syscallExample('example_strncmp', 'strncmp of a 6-byte buffer ("hello" and its NUL) with constant strings: "hello" (0); "help" (\'l\' < \'p\': -1); "hell" (\'o\' > NUL: 1).', [
    call('bpf_strncmp', [buf('s1'), imm(6), addr('hello')]),
    call('bpf_strncmp', [buf('s1'), imm(6), addr('help')]),
    call('bpf_strncmp', [buf('s1'), imm(6), addr('hell')]),
  ], {
    globals: [
      { name: 's1', kind: 'bytes', size: 6, init: 'hello' },
      { name: 'hello', kind: 'bytes', size: 6, init: 'hello', rodata: true },
      { name: 'help', kind: 'bytes', size: 5, init: 'help', rodata: true },
      { name: 'hell', kind: 'bytes', size: 5, init: 'hell', rodata: true },
    ],
    expect: { calls: calls('bpf_strncmp', [0, -1, 1]) },
  }),
  bpf_map_push_elem: syscallExample('example_push', 'Push 1, 2 and 3 into a queue of 2: the third finds it full, -E2BIG. With BPF_EXIST (2) the push makes room by dropping the oldest value, 1. A pop then gives 2.', [
    P.st(8, buf('v'), 0, imm(1)), call('bpf_map_push_elem', [map('q'), buf('v'), imm(0)]),
    P.st(8, buf('v'), 0, imm(2)), call('bpf_map_push_elem', [map('q'), buf('v'), imm(0)]),
    P.st(8, buf('v'), 0, imm(3)), call('bpf_map_push_elem', [map('q'), buf('v'), imm(0)]), call('bpf_map_push_elem', [map('q'), buf('v'), imm(2)]),
    call('bpf_map_pop_elem', [map('q'), buf('v')]), P.ld('x', 8, buf('v'), 0), P.store('first', r('x')),
  ], {
    maps: [{ name: 'q', type: 'queue', maxEntries: 2, valueSize: 8, taskWorkFields: 0 }], locals: [P.local('v', { bytes: 8 })], globals: [{ name: 'first', kind: 'u64' }],
    expect: { calls: [...calls('bpf_map_push_elem', [0, 0, '-E2BIG', 0]), ...calls('bpf_map_pop_elem', [0])], globals: { first: 2 } },
  }),
  bpf_map_pop_elem: syscallExample('example_pop', 'A stack gives back its newest value first: after pushes of 10 and 20 the pops give 20, then 10; a third finds it empty, -ENOENT, and zeroes the program\'s value.', [
    P.st(8, buf('v'), 0, imm(10)), call('bpf_map_push_elem', [map('s'), buf('v'), imm(0)]),
    P.st(8, buf('v'), 0, imm(20)), call('bpf_map_push_elem', [map('s'), buf('v'), imm(0)]),
    call('bpf_map_pop_elem', [map('s'), buf('v')]), P.ld('x', 8, buf('v'), 0), P.store('a', r('x')),
    call('bpf_map_pop_elem', [map('s'), buf('v')]), P.ld('x', 8, buf('v'), 0), P.store('b', r('x')),
    call('bpf_map_pop_elem', [map('s'), buf('v')]), P.ld('x', 8, buf('v'), 0), P.store('c', r('x')),
  ], {
    maps: [{ name: 's', type: 'stack', maxEntries: 4, valueSize: 8, taskWorkFields: 0 }], locals: [P.local('v', { bytes: 8 })],
    globals: [{ name: 'a', kind: 'u64' }, { name: 'b', kind: 'u64' }, { name: 'c', kind: 'u64', init: 7 }],
    expect: { calls: calls('bpf_map_pop_elem', [0, 0, '-ENOENT']), globals: { a: 20, b: 10, c: 0 } },
  }),
  bpf_map_peek_elem: syscallExample('example_peek', 'A peek copies the value a pop would take without taking it: twice the oldest value of the queue, 5; on an empty queue -ENOENT.', [
    P.st(8, buf('v'), 0, imm(5)), call('bpf_map_push_elem', [map('q'), buf('v'), imm(0)]),
    P.st(8, buf('v'), 0, imm(6)), call('bpf_map_push_elem', [map('q'), buf('v'), imm(0)]),
    call('bpf_map_peek_elem', [map('q'), buf('v')]), call('bpf_map_peek_elem', [map('q'), buf('v')]), P.ld('x', 8, buf('v'), 0), P.store('a', r('x')),
    call('bpf_map_peek_elem', [map('e'), buf('v')]),
  ], {
    maps: [{ name: 'q', type: 'queue', maxEntries: 4, valueSize: 8, taskWorkFields: 0 }, { name: 'e', type: 'queue', maxEntries: 4, valueSize: 8, taskWorkFields: 0 }],
    locals: [P.local('v', { bytes: 8 })], globals: [{ name: 'a', kind: 'u64' }],
    expect: { calls: calls('bpf_map_peek_elem', [0, 0, '-ENOENT']), globals: { a: 5 } },
  }),
  bpf_task_storage_get: syscallExample('example_task_storage_get', 'The runner runs the program twice. In the first run the get without flags finds no value for it (NULL, so `a` = 0); with BPF_LOCAL_STORAGE_GET_F_CREATE (1) the get makes it from `v` (5), and the program adds 1. In the second run the first get finds that 6, the F_CREATE get returns it as it is (5 is not copied over it), and the program makes it 7. Flags 2 give NULL (`c` = 0, not its initial 9). The globals hold the second run\'s values.', [
    call('bpf_get_current_task_btf', [], 't'),
    call('bpf_task_storage_get', [map('ts'), r('t'), NULL, imm(0)], 'p'), mov('x', imm(0)), goto('a_null', when('p', '==', imm(0))), ld('x', 8, r('p'), 0), label('a_null'), P.store('a', r('x')),
    P.st(8, buf('v'), 0, imm(5)),
    call('bpf_task_storage_get', [map('ts'), r('t'), buf('v'), imm(1)], 'p'), goto('out', when('p', '==', imm(0))),
    ld('x', 8, r('p'), 0), alu('add', 'x', imm(1)), P.st(8, r('p'), 0, r('x')), P.store('b', r('x')),
    call('bpf_task_storage_get', [map('ts'), r('t'), NULL, imm(2)], 'p'), mov('x', imm(0)), goto('c_null', when('p', '==', imm(0))), ld('x', 8, r('p'), 0), label('c_null'), P.store('c', r('x')),
    label('out'),
  ], {
    maps: [{ name: 'ts', type: 'task_storage', maxEntries: 0, valueSize: 8, taskWorkFields: 0, flags: 1 }], locals: [P.local('v', { bytes: 8 })],
    globals: [{ name: 'a', kind: 'u64' }, { name: 'b', kind: 'u64' }, { name: 'c', kind: 'u64', init: 9 }],
    script: [{ sys: 'prog_test_run', prog: 'example' }],
    expect: { globals: { a: 6, b: 7, c: 0 }, runs: [{ program: 'example', times: 2 }] },
  }),
  bpf_task_storage_delete: syscallExample('example_task_storage_delete', 'The runner\'s value (made by a get with F_CREATE) is deleted: 0; a second delete finds none, -ENOENT; a NULL task is -EINVAL. A get with F_CREATE then makes a new value, zeroed (`z` = 0, not the 9 written before the delete).', [
    call('bpf_get_current_task_btf', [], 't'),
    call('bpf_task_storage_get', [map('ts'), r('t'), NULL, imm(1)], 'p'), goto('out', when('p', '==', imm(0))), P.st(8, r('p'), 0, imm(9)),
    call('bpf_task_storage_delete', [map('ts'), r('t')]), call('bpf_task_storage_delete', [map('ts'), r('t')]), call('bpf_task_storage_delete', [map('ts'), NULL]),
    call('bpf_task_storage_get', [map('ts'), r('t'), NULL, imm(1)], 'p'), goto('out', when('p', '==', imm(0))), ld('x', 8, r('p'), 0), P.store('z', r('x')),
    label('out'),
  ], {
    maps: [{ name: 'ts', type: 'task_storage', maxEntries: 0, valueSize: 8, taskWorkFields: 0, flags: 1 }],
    globals: [{ name: 'z', kind: 'u64', init: 7 }],
    expect: { calls: calls('bpf_task_storage_delete', [0, '-ENOENT', '-EINVAL']), globals: { z: 0 } },
  }),
  bpf_strtol: syscallExample('example_strtol', 'Parse the start of "  -42 apples": two spaces, the sign and two digits, 5 bytes consumed, -42 in *res. In base 16 "0x1f" is 31 (4 bytes, the "0x" counted). "apples" has no digit: -EINVAL, and *res is set to 0. A value past LONG_MAX is -ERANGE.', [
    call('bpf_strtol', [buf('text'), imm(12), imm(0), buf('res')]), P.ld('v', 8, buf('res'), 0), P.store('a', r('v')),
    call('bpf_strtol', [buf('hex'), imm(4), imm(16), buf('res')]), P.ld('v', 8, buf('res'), 0), P.store('b', r('v')),
    call('bpf_strtol', [buf('text', 6), imm(6), imm(0), buf('res')]), P.ld('v', 8, buf('res'), 0), P.store('c', r('v')),
    call('bpf_strtol', [buf('big'), imm(19), imm(10), buf('res')]),
  ], {
    locals: [P.local('res', { bytes: 8 })],
    globals: [
      { name: 'text', kind: 'bytes', size: 12, init: '  -42 apples' },
      { name: 'hex', kind: 'bytes', size: 4, init: '0x1f' },
      { name: 'big', kind: 'bytes', size: 19, init: '9223372036854775808' },
      { name: 'a', kind: 'int' }, { name: 'b', kind: 'int' }, { name: 'c', kind: 'int', init: 7 },
    ],
    expect: { calls: calls('bpf_strtol', [5, 4, '-EINVAL', '-ERANGE']), globals: { a: -42, b: 31, c: 0 } },
  }),
  bpf_strtoul: syscallExample('example_strtoul', 'Parse numbers as the selftest prog_tests/sysctl.c does: "600 602" gives 600 (3 bytes), and again from the space after it 602 (4 bytes, the space counted). Base 0 reads "0755" as octal, 493. A sign is refused (-EINVAL), even "-0".', [
    call('bpf_strtoul', [buf('text'), imm(7), imm(0), buf('res')]), P.ld('v', 8, buf('res'), 0), P.store('a', r('v')),
    call('bpf_strtoul', [buf('text', 3), imm(4), imm(0), buf('res')]), P.ld('v', 8, buf('res'), 0), P.store('b', r('v')),
    call('bpf_strtoul', [buf('oct'), imm(4), imm(0), buf('res')]), P.ld('v', 8, buf('res'), 0), P.store('c', r('v')),
    call('bpf_strtoul', [buf('neg'), imm(2), imm(0), buf('res')]),
  ], {
    locals: [P.local('res', { bytes: 8 })],
    globals: [
      { name: 'text', kind: 'bytes', size: 7, init: '600 602' },
      { name: 'oct', kind: 'bytes', size: 4, init: '0755' },
      { name: 'neg', kind: 'bytes', size: 2, init: '-0' },
      { name: 'a', kind: 'u64' }, { name: 'b', kind: 'u64' }, { name: 'c', kind: 'u64' },
    ],
    expect: { calls: calls('bpf_strtoul', [3, 4, 4, '-EINVAL']), globals: { a: 600, b: 602, c: 493 } },
  }),
  bpf_snprintf: syscallExample('example_snprintf', 'Format two values from a stack array with a constant (.rodata) format: "%d %x" of -8 and 150 is "-8 96", 5 characters, so 6 with the NUL; bpf_strncmp finds exactly that text in the buffer (0). Into 4 bytes the text is cut to "-8 " and a NUL, and the whole length is still 6. 13 values (data_len 104, over 12) are -EINVAL.', [
    P.st(8, buf('data'), 0, imm(-8)), P.st(8, buf('data'), 8, imm(150)),
    call('bpf_snprintf', [buf('text'), imm(16), addr('fmt'), buf('data'), imm(16)]),
    call('bpf_strncmp', [buf('text'), imm(16), addr('want')]),
    call('bpf_snprintf', [buf('text'), imm(4), addr('fmt'), buf('data'), imm(16)]),
    call('bpf_strncmp', [buf('text'), imm(16), addr('cut')]),
    call('bpf_snprintf', [buf('text'), imm(16), addr('fmt'), buf('data'), imm(104)]),
  ], {
    locals: [P.local('data', { bytes: 104 }, 'zero')],
    globals: [
      { name: 'text', kind: 'bytes', size: 16 },
      { name: 'fmt', kind: 'bytes', size: 6, init: '%d %x', rodata: true },
      { name: 'want', kind: 'bytes', size: 6, init: '-8 96', rodata: true },
      { name: 'cut', kind: 'bytes', size: 4, init: '-8 ', rodata: true },
    ],
    expect: { calls: [...calls('bpf_snprintf', [6, 6, '-EINVAL']), ...calls('bpf_strncmp', [0, 0])] },
  }),
  bpf_trace_printk: syscallExample('example_trace_printk', 'Put "pid 42 says hi" in the trace buffer (a printk event of the trace: the line trace_pipe shows): the helper returns its 14 characters. A fourth conversion (there are only three values) and %o (not a BPF conversion) are -EINVAL, checked when the helper runs: the verifier does not read this format.', [
    call('bpf_trace_printk', [buf('fmt'), imm(16), imm(42), buf('word'), imm(0)]),
    call('bpf_trace_printk', [buf('four'), imm(12), imm(1), imm(2), imm(3)]),
    call('bpf_trace_printk', [buf('octal'), imm(3), imm(8), imm(0), imm(0)]),
  ], {
    globals: [
      { name: 'fmt', kind: 'bytes', size: 16, init: 'pid %d says %s', rodata: true },
      { name: 'word', kind: 'bytes', size: 3, init: 'hi' },
      { name: 'four', kind: 'bytes', size: 12, init: '%d %d %d %d', rodata: true },
      { name: 'octal', kind: 'bytes', size: 3, init: '%o', rodata: true },
    ],
    expect: { calls: calls('bpf_trace_printk', [14, '-EINVAL', '-EINVAL']) },
  }),
  bpf_trace_vprintk: syscallExample('example_trace_vprintk', 'Four values from an array: "1 22 333 4444" is 13 characters. A data_len that is not a multiple of 8 is -EINVAL when the helper runs (the verifier checks it for bpf_snprintf only).', [
    P.st(8, buf('data'), 0, imm(1)), P.st(8, buf('data'), 8, imm(22)), P.st(8, buf('data'), 16, imm(333)), P.st(8, buf('data'), 24, imm(4444)),
    call('bpf_trace_vprintk', [buf('fmt'), imm(12), buf('data'), imm(32)]),
    call('bpf_trace_vprintk', [buf('fmt'), imm(12), buf('data'), imm(28)]),
  ], {
    locals: [P.local('data', { bytes: 32 })],
    globals: [{ name: 'fmt', kind: 'bytes', size: 12, init: '%d %d %d %d', rodata: true }],
    expect: { calls: calls('bpf_trace_vprintk', [13, '-EINVAL']) },
  }),
  bpf_probe_read_kernel: syscallExample('example_probe_read_kernel', 'Read 8 bytes of the program\'s own memory (a global: kernel memory); a user-space address is refused with -ERANGE before anything is read; a kernel address with nothing mapped faults (-EFAULT). On failure dst is zeroed.', [
    call('bpf_probe_read_kernel', [buf('out'), imm(8), buf('mem')]),
    call('bpf_probe_read_kernel', [buf('out'), imm(8), imm(0x1000)]),
    call('bpf_probe_read_kernel', [buf('out'), imm(8), imm(KADDR)]),
  ], { expect: { calls: calls('bpf_probe_read_kernel', [0, '-ERANGE', '-EFAULT']) } }),
  bpf_get_current_comm: syscallExample('example_get_current_comm', 'The running task\'s name ("runner"), NUL-padded into a 16-byte buffer; its first 8 bytes read back as a number.', [
    call('bpf_get_current_comm', [buf('out'), imm(16)]),
    ld('w', 8, buf('out'), 0), store('word', r('w')),
  ], { globals: [{ name: 'word', kind: 'u64' }], expect: { calls: calls('bpf_get_current_comm', [0]), globals: { word: '0x72656e6e7572' } } }),
  bpf_this_cpu_ptr: {
    kind: 'session', name: 'example_bpf_this_cpu_ptr', version: '6.19',
    description: 'The verifier admits only a per-CPU kernel pointer, which no program of the model holds (a program passing anything else is refused: `R1 type=… expected=percpu_ptr_`); so the call is made directly on a session, with 8 bytes standing for this CPU\'s copy: the pointer comes back.',
    expect: { calls: calls('bpf_this_cpu_ptr', ['ptr[8]']) },
    build(s) {
      s.bpf_this_cpu_ptr(new Uint8Array(8));
    },
  },
  bpf_loop: syscallExample('example_loop', 'Call a static callback 5 times (it counts its calls in a global: 5); flags other than 0 are -EINVAL; more than BPF_MAX_LOOPS (2^23) calls are -E2BIG. Both refusals call nothing.', [
    call('bpf_loop', [imm(5), cb('count'), NULL, imm(0)]),
    call('bpf_loop', [imm(5), cb('count'), NULL, imm(1)]),
    call('bpf_loop', [imm((1 << 23) + 1), cb('count'), NULL, imm(0)]),
  ], {
    globals: [{ name: 'n', kind: 'int' }],
    subprogs: [{ name: 'count', isStatic: true, params: [{ name: 'index', type: 'u64' }, { name: 'ctx', type: 'ptr' }], body: [mov('v', glob('n')), alu('add', 'v', imm(1)), store('n', r('v')), ret(imm(0))] }],
    expect: { calls: calls('bpf_loop', [5, '-EINVAL', '-E2BIG']), globals: { n: 5 } },
  }),
  bpf_iter_num_new: iterExample('bpf_iter_num_new'),
  bpf_iter_num_next: iterExample('bpf_iter_num_next'),
  bpf_iter_num_destroy: iterExample('bpf_iter_num_destroy'),
  bpf_copy_from_user: syscallExample('example_copy_from_user', 'Copy 8 bytes of "hello world" from the task\'s memory (0); from an address with no user memory: -EFAULT, and dst is zeroed. Sleepable: SEC("syscall") programs are.', [
    mov('r1', glob('user_ptr')),
    call('bpf_copy_from_user', [buf('out'), imm(8), r('r1')]),
    call('bpf_copy_from_user', [buf('out'), imm(8), imm(0x1000)]),
  ], {
    globals: [{ name: 'user_ptr', kind: 'int' }],
    script: [{ sys: 'user_write', addr: ADDR, text: 'hello world' }, { sys: 'set_global', global: 'user_ptr', value: ADDR }],
    expect: { calls: calls('bpf_copy_from_user', [0, '-EFAULT']) },
  }),
  bpf_probe_read_user: syscallExample('example_probe_read_user', 'Read 8 bytes of "hello world" from the task\'s memory (0); 16 bytes reach past the 11 written: -EFAULT, and all 16 bytes of dst are zeroed; size 0 at a kernel address is -EFAULT too (access_ok looks at the address even for size 0). No page faults: any program may call it.', [
    mov('r1', glob('user_ptr')),
    call('bpf_probe_read_user', [buf('out'), imm(8), r('r1')]),
    call('bpf_probe_read_user', [buf('out'), imm(16), r('r1')]),
    call('bpf_probe_read_user', [buf('out'), imm(0), imm(KADDR)]),
  ], {
    globals: [{ name: 'user_ptr', kind: 'int' }],
    script: [{ sys: 'user_write', addr: ADDR, text: 'hello world' }, { sys: 'set_global', global: 'user_ptr', value: ADDR }],
    expect: { calls: calls('bpf_probe_read_user', [0, '-EFAULT', '-EFAULT']) },
  }),
  bpf_probe_read_kernel_str: syscallExample('example_probe_read_kernel_str', 'Read the string "kernel" from the program\'s own memory (a global is kernel memory): its length with the NUL; into 4 bytes: cut to "ker" and a NUL (4); a user address is refused with -ERANGE, a kernel address with nothing mapped is -EFAULT (dst zeroed).', [
    call('bpf_probe_read_kernel_str', [buf('out'), imm(16), buf('kstr')]),
    call('bpf_probe_read_kernel_str', [buf('out'), imm(4), buf('kstr')]),
    call('bpf_probe_read_kernel_str', [buf('out'), imm(8), imm(ADDR)]),
    call('bpf_probe_read_kernel_str', [buf('out'), imm(8), imm(KADDR)]),
  ], {
    globals: [{ name: 'kstr', kind: 'bytes', size: 16, init: 'kernel\0 and more' }],
    expect: { calls: calls('bpf_probe_read_kernel_str', [7, 4, '-ERANGE', '-EFAULT']) },
  }),
  bpf_copy_from_user_task: syscallExample('example_copy_from_user_task', 'Copy 8 bytes of "hello world" from the memory of the current task (bpf_get_current_task_btf): 0; 16 bytes reach past the 11 written: -EFAULT, dst zeroed; flags other than 0: -EINVAL. Sleepable: SEC("syscall") programs are.', [
    mov('r1', glob('user_ptr')),
    call('bpf_get_current_task_btf', [], 'r6'),
    call('bpf_copy_from_user_task', [buf('out'), imm(8), r('r1'), r('r6'), imm(0)]),
    mov('r1', glob('user_ptr')),
    call('bpf_copy_from_user_task', [buf('out'), imm(16), r('r1'), r('r6'), imm(0)]),
    mov('r1', glob('user_ptr')),
    call('bpf_copy_from_user_task', [buf('out'), imm(8), r('r1'), r('r6'), imm(1)]),
  ], {
    globals: [{ name: 'user_ptr', kind: 'int' }],
    script: [{ sys: 'user_write', addr: ADDR, text: 'hello world' }, { sys: 'set_global', global: 'user_ptr', value: ADDR }],
    expect: { calls: calls('bpf_copy_from_user_task', [0, '-EFAULT', '-EINVAL']) },
  }),
  bpf_copy_from_user_task_str: syscallExample('example_copy_from_user_task_str', 'Copy "hello world" from the memory of the current task (bpf_get_current_task_btf): its length with the NUL; into 6 bytes: cut to "hello" and a NUL (6); an unknown flag: -EINVAL; an address with no user memory: -EFAULT. Sleepable: SEC("syscall") programs are.', [
    mov('r1', glob('user_ptr')),
    call('bpf_get_current_task_btf', [], 'r6'),
    call('bpf_copy_from_user_task_str', [buf('out'), imm(16), r('r1'), r('r6'), imm(0)]),
    mov('r1', glob('user_ptr')),
    call('bpf_copy_from_user_task_str', [buf('out'), imm(6), r('r1'), r('r6'), imm(0)]),
    mov('r1', glob('user_ptr')),
    call('bpf_copy_from_user_task_str', [buf('out'), imm(16), r('r1'), r('r6'), imm(2)]),
    call('bpf_copy_from_user_task_str', [buf('out'), imm(16), imm(0x1000), r('r6'), imm(0)]),
  ], {
    globals: [{ name: 'user_ptr', kind: 'int' }],
    script: [{ sys: 'user_write', addr: ADDR, text: 'hello world' }, { sys: 'set_global', global: 'user_ptr', value: ADDR }],
    expect: { calls: calls('bpf_copy_from_user_task_str', [12, 6, '-EINVAL', '-EFAULT']) },
  }),
  bpf_task_from_pid: syscallExample('example_task_from_pid', 'Find the running task by its pid (100, read with bpf_get_current_pid_tgid) and release it; pid 0 and a pid no task has find nothing (NULL). The task counts return to their baseline.', [
    call('bpf_get_current_pid_tgid', [], 'r1'),
    alu('rsh', 'r1', imm(32)),
    call('bpf_task_from_pid', [r('r1')], 'r6'),
    goto('none', when('r6', '==', NULL)),
    call('bpf_task_release', [r('r6')]),
    label('none'),
    call('bpf_task_from_pid', [imm(0)], 'r7'),
    goto('none2', when('r7', '==', NULL)),
    call('bpf_task_release', [r('r7')]),
    label('none2'),
    call('bpf_task_from_pid', [imm(4242)], 'r8'),
    goto('none3', when('r8', '==', NULL)),
    call('bpf_task_release', [r('r8')]),
    label('none3'),
  ], { expect: { calls: calls('bpf_task_from_pid', ['task(pid 100)', 'NULL', 'NULL']), refs: 'baseline' } }),
  bpf_task_from_vpid: syscallExample('example_task_from_vpid', 'Find the running task by its pid in its own pid namespace (the model has one: 100), then release it; pid -1 finds nothing (NULL).', [
    call('bpf_get_current_pid_tgid', [], 'r1'),
    alu('rsh', 'r1', imm(32)),
    call('bpf_task_from_vpid', [r('r1')], 'r6'),
    goto('none', when('r6', '==', NULL)),
    call('bpf_task_release', [r('r6')]),
    label('none'),
    call('bpf_task_from_vpid', [imm(-1)], 'r7'),
    goto('none2', when('r7', '==', NULL)),
    call('bpf_task_release', [r('r7')]),
    label('none2'),
  ], { expect: { calls: calls('bpf_task_from_vpid', ['task(pid 100)', 'NULL']), refs: 'baseline' } }),
  bpf_task_acquire: syscallExample('example_task_acquire', 'Take a reference on the running task (alive: its rcu_users is above 0) and drop it; the counts return to their baseline.', [
    call('bpf_get_current_task_btf', [], 'r6'),
    call('bpf_task_acquire', [r('r6')], 'r7'),
    goto('none', when('r7', '==', NULL)),
    call('bpf_task_release', [r('r7')]),
    label('none'),
  ], { expect: { calls: calls('bpf_task_acquire', ['task(pid 100)']), refs: 'baseline' } }),
  bpf_task_release: syscallExample('example_task_release', 'Drop the reference bpf_task_acquire took; the verifier refuses a program that keeps it or that releases current itself.', [
    call('bpf_get_current_task_btf', [], 'r6'),
    call('bpf_task_acquire', [r('r6')], 'r7'),
    goto('none', when('r7', '==', NULL)),
    call('bpf_task_release', [r('r7')]),
    label('none'),
  ], { expect: { calls: calls('bpf_task_release', ['void']), refs: 'baseline' } }),
  bpf_rcu_read_lock: syscallExample('example_rcu_read_lock', 'A sleepable program opens an RCU read section: inside it, the running task\'s group_leader (itself) is an RCU pointer, which bpf_task_acquire takes (outside one the verifier refuses it: untrusted); the section closes before the reference is dropped.', [
    call('bpf_rcu_read_lock', []),
    call('bpf_get_current_task_btf', [], 'r6'),
    field('r7', r('r6'), 'group_leader'),
    call('bpf_task_acquire', [r('r7')], 'r8'),
    call('bpf_rcu_read_unlock', []),
    goto('none', when('r8', '==', NULL)),
    call('bpf_task_release', [r('r8')]),
    label('none'),
  ], { expect: { calls: calls('bpf_task_acquire', ['task(pid 100)']), refs: 'baseline' } }),
  bpf_rcu_read_unlock: syscallExample('example_rcu_read_unlock', 'Two nested sections (7.2 counts them; 6.18 refuses the inner lock): only the outer unlock ends the section, so the group_leader walked inside is still an RCU pointer after the inner one.', [
    call('bpf_rcu_read_lock', []),
    call('bpf_rcu_read_lock', []),
    call('bpf_get_current_task_btf', [], 'r6'),
    field('r7', r('r6'), 'group_leader'),
    call('bpf_rcu_read_unlock', []),
    call('bpf_task_acquire', [r('r7')], 'r8'),
    call('bpf_rcu_read_unlock', []),
    goto('none', when('r8', '==', NULL)),
    call('bpf_task_release', [r('r8')]),
    label('none'),
  ], { version: '7.2', expect: { calls: calls('bpf_rcu_read_unlock', ['void', 'void']), refs: 'baseline' } }),
  bpf_kptr_xchg: syscallExample('example_kptr_xchg', 'Move a task reference into a map value\'s kptr field and out again: the first exchange finds the field NULL (the reference now belongs to the map), the second gives the task back with its reference, which the program drops. The verifier refuses a program that puts in a pointer it holds no reference to, or that keeps the one it took out.', [
    call('bpf_map_lookup_elem', [map('km'), imm(0)], 'r6'),
    goto('out', when('r6', '==', NULL)),
    call('bpf_get_current_task_btf', [], 'r7'),
    call('bpf_task_acquire', [r('r7')], 'r8'),
    goto('out', when('r8', '==', NULL)),
    call('bpf_kptr_xchg', [kptr('r6', 'task'), r('r8')], 'r9'),
    goto('empty', when('r9', '==', NULL)),
    call('bpf_task_release', [r('r9')]),
    label('empty'),
    call('bpf_kptr_xchg', [kptr('r6', 'task'), NULL], 'r9'),
    goto('out', when('r9', '==', NULL)),
    call('bpf_task_release', [r('r9')]),
    label('out'),
  ], { maps: [{ name: 'km', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 0, kptrs: [{ name: 'task', type: 'task_struct' }] }], expect: { calls: calls('bpf_kptr_xchg', ['NULL', 'task(pid 100)']), refs: 'baseline' } }),
  bpf_path_d_path: {
    kind: 'session', name: 'example_bpf_path_d_path', version: '6.19',
    description: 'The path of an open file (`&file->f_path`) into a buffer: its length with the NUL; a buffer one byte too small is -ENAMETOOLONG (d_path builds the name from the end); size 0 is -EINVAL. Called directly on a session (a program of the model has no `struct path` operand yet).',
    expect: { calls: calls('bpf_path_d_path', [14, '-ENAMETOOLONG', '-EINVAL']) },
    build(s) {
      s.createFile({ path: '/data/log.txt', size: 10, content: content.zero() });
      const f = s.open('/data/log.txt');
      s.bpf_path_d_path(f, new Uint8Array(32), 32);
      s.bpf_path_d_path(f, new Uint8Array(13), 13);
      s.bpf_path_d_path(f, new Uint8Array(1), 0);
    },
  },
  bpf_task_work_schedule_signal_impl: taskWorkExample('bpf_task_work_schedule_signal_impl', '6.19'),
  bpf_task_work_schedule_resume_impl: taskWorkExample('bpf_task_work_schedule_resume_impl', '6.19'),
  bpf_task_work_schedule_signal: taskWorkExample('bpf_task_work_schedule_signal', '7.0'),
  bpf_task_work_schedule_resume: taskWorkExample('bpf_task_work_schedule_resume', '7.0'),
};

/** The example of kfunc `name` (a scenario, or direct calls on a session), or undefined when it has none. */
export function kfuncExample(name: string): KfuncExample | undefined {
  return Object.hasOwn(EXAMPLES, name) ? EXAMPLES[name] : undefined;
}

/** The names of the kfuncs that have an example. */
export function kfuncExampleNames(): string[] {
  return Object.keys(EXAMPLES);
}
