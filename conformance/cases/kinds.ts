/**
 * Conformance cases over the dynptr kinds of issue 14 — RINGBUF, SKB, SKB_META, XDP — and the kfuncs
 * around them (memset, copy, the probe-read and copy-from-user dynptr kfuncs), the ring buffer
 * helpers and the helpers that change packets. A case is one program (`syscall`, `tc`,
 * `cgroup_skb/…`, `socket`, `xdp`) in an object of its own globals and, when it uses one, its own
 * ring buffer map (`<id>_rb`), all named after the case so cases can share a compiled object. A
 * packet program is run with `BPF_PROG_TEST_RUN` and packet data (`run`); after the run, user space
 * reads every ring (libbpf `ring_buffer__consume`). Compared: each call's return value (stored into
 * `<id>_rets`), the bytes of a slice read back through it, the test run's `bpf()` result, `retval`,
 * `data_out` and `data_size_out`, the records user space reads, and the globals' bytes.
 */
import { program as P, type Arg, type BpfObject, type Local, type Op } from '../../src/index.ts';
import { currentFieldOps, currentFieldText, type CallRecord, type ConfCase, type PacketRun, type UserPages } from './lib.ts';

export const KRETS = 96;
/** `<id>_out`: read destination; `<id>_src`: write and probe-read source (a pattern with NULs); `<id>_sbuf`: slice buffer. */
export const KOUT = 256;
export const KSRC = 256;
export const KSBUF = 64;
export const KMEM = 64;
export const RING_SIZE = 4096;

export type KSlot = 'd' | 'e';
export type Section = 'syscall' | 'tc' | 'xdp' | 'cgroup_skb/egress' | 'cgroup_skb/ingress' | 'socket';

/** The program's return value per section (a cgroup_skb program must return 0 or 1). */
const RETURNS: Readonly<Record<Section, number>> = { syscall: 0, tc: 0, xdp: 2, 'cgroup_skb/egress': 1, 'cgroup_skb/ingress': 1, socket: 0 };

/** `<id>_out` of a case that asks for it (`fillOut`): non-zero bytes, so a zero written past a NUL shows. */
export function outFill(): Uint8Array {
  const b = new Uint8Array(KOUT);
  for (let i = 0; i < KOUT; i += 1) b[i] = 0xa0 + (i % 0x40);
  return b;
}

/** The write/probe source: bytes 1..255 with a NUL every 61 bytes (so string reads stop inside it). */
export function srcPattern(): Uint8Array {
  const b = new Uint8Array(KSRC);
  for (let i = 0; i < KSRC; i += 1) b[i] = i % 61 === 60 ? 0 : ((i * 37 + 11) % 255) + 1;
  return b;
}

const show = (v: number | bigint): string => {
  const b = BigInt.asUintN(64, BigInt(v));
  return b >= 0x1_0000_0000n ? `0x${b.toString(16)}` : b.toString();
};

/** Builds one case: each method adds a call and the store of its result into `<id>_rets`. */
export class KindBuilder {
  private readonly body: Op[] = [];
  private readonly calls: CallRecord[] = [];
  private readonly locals: Local[] = [P.local('d', 'dynptr'), P.local('e', 'dynptr')];
  private readonly maps: BpfObject['maps'][number][] = [];
  private n = 0;
  private usesRing = false;
  private readonly user: UserPages[] = [];
  private filledOut = false;

  constructor(readonly id: string, readonly section: Section) {}

  private g(name: string): string {
    return `${this.id}_${name}`;
  }

  private slot(i: number): string {
    if (i >= KRETS) throw new Error(`${this.id}: more than ${KRETS} results`);
    return `v${i}`;
  }

  /** Store register `v` into rets[i] and record what it is. */
  private keep(fn: string, v: string, text: string): number {
    const i = this.n;
    this.n += 1;
    this.slot(i);
    this.body.push(P.storeAt(this.g('rets'), i, P.r(v)));
    this.calls.push({ index: i, fn, text });
    return i;
  }

  private record(fn: string, args: readonly Arg[], text: string): this {
    const v = this.slot(this.n);
    this.body.push(P.call(fn, args, v));
    this.keep(fn, v, text);
    return this;
  }

  private voidCall(fn: string, args: readonly Arg[]): this {
    this.body.push(P.call(fn, args));
    return this;
  }

  /** A pointer result stored as 1/0; when not NULL, its first byte is read (`load`) and written (`store`). */
  private pointer(fn: string, args: readonly Arg[], text: string, access: { load: boolean; store: number | null }): this {
    const i = this.n;
    const v = this.slot(i);
    const p = `p${i}`;
    const skip = `L${i}`;
    this.body.push(P.call(fn, args, p), P.mov(v, P.imm(0)), P.goto(skip, P.when(p, '==', P.NULL)), P.mov(v, P.imm(1)), P.label(skip));
    this.keep(fn, v, `${text} != NULL`);
    if (!access.load && access.store === null) return this;
    // The access happens only when the pointer is not NULL (else 0 is stored: a NULL slice reads nothing).
    const j = this.n;
    const b = this.slot(j);
    const done = `A${j}`;
    this.body.push(P.mov(b, P.imm(0)), P.goto(done, P.when(p, '==', P.NULL)));
    if (access.load) this.body.push(P.ld(b, 1, P.r(p), 0));
    if (access.store !== null) this.body.push(P.st(1, P.r(p), 0, P.imm(access.store)));
    this.body.push(P.label(done));
    this.keep(`${fn}:access`, b, `${access.load ? '*(u8 *)' : ''}${text}${access.store !== null ? ` = ${access.store}` : ''}`);
    return this;
  }

  // -- constructors ----------------------------------------------------------------------------

  reserveDynptr(size: number | bigint, flags: number | bigint = 0, slot: KSlot = 'd'): this {
    this.usesRing = true;
    return this.record('bpf_ringbuf_reserve_dynptr', [P.map(this.g('rb')), P.imm(size), P.imm(flags), P.dynptr(slot)], `bpf_ringbuf_reserve_dynptr(rb, ${show(size)}, ${show(flags)}, &${slot})`);
  }

  submitDynptr(slot: KSlot = 'd', flags: number | bigint = 0): this {
    return this.voidCall('bpf_ringbuf_submit_dynptr', [P.dynptr(slot), P.imm(flags)]);
  }

  discardDynptr(slot: KSlot = 'd', flags: number | bigint = 0): this {
    return this.voidCall('bpf_ringbuf_discard_dynptr', [P.dynptr(slot), P.imm(flags)]);
  }

  fromSkb(flags: number | bigint = 0, slot: KSlot = 'd'): this {
    return this.record('bpf_dynptr_from_skb', [P.ctxPtr, P.imm(flags), P.dynptr(slot)], `bpf_dynptr_from_skb(ctx, ${show(flags)}, &${slot})`);
  }

  fromSkbMeta(flags: number | bigint = 0, slot: KSlot = 'd'): this {
    return this.record('bpf_dynptr_from_skb_meta', [P.ctxPtr, P.imm(flags), P.dynptr(slot)], `bpf_dynptr_from_skb_meta(ctx, ${show(flags)}, &${slot})`);
  }

  fromXdp(flags: number | bigint = 0, slot: KSlot = 'd'): this {
    return this.record('bpf_dynptr_from_xdp', [P.ctxPtr, P.imm(flags), P.dynptr(slot)], `bpf_dynptr_from_xdp(ctx, ${show(flags)}, &${slot})`);
  }

  fromMem(size: number, slot: KSlot = 'e'): this {
    return this.record('bpf_dynptr_from_mem', [P.buf(this.g('mem')), P.imm(size), P.imm(0), P.dynptr(slot)], `bpf_dynptr_from_mem(mem, ${size}, 0, &${slot})`);
  }

  // -- generic ops ------------------------------------------------------------------------------

  read(len: number, off: number | bigint, flags: number | bigint = 0, slot: KSlot = 'd'): this {
    return this.record('bpf_dynptr_read', [P.buf(this.g('out')), P.imm(len), P.dynptr(slot), P.imm(off), P.imm(flags)], `bpf_dynptr_read(out, ${len}, &${slot}, ${show(off)}, ${show(flags)})`);
  }

  write(off: number | bigint, len: number, flags: number | bigint = 0, slot: KSlot = 'd', srcOff = 0): this {
    return this.record('bpf_dynptr_write', [P.dynptr(slot), P.imm(off), P.buf(this.g('src'), srcOff), P.imm(len), P.imm(flags)], `bpf_dynptr_write(&${slot}, ${show(off)}, src+${srcOff}, ${len}, ${show(flags)})`);
  }

  adjust(start: number | bigint, end: number | bigint, slot: KSlot = 'd'): this {
    return this.record('bpf_dynptr_adjust', [P.dynptr(slot), P.imm(start), P.imm(end)], `bpf_dynptr_adjust(&${slot}, ${show(start)}, ${show(end)})`);
  }

  size(slot: KSlot = 'd'): this {
    return this.record('bpf_dynptr_size', [P.dynptr(slot)], `bpf_dynptr_size(&${slot})`);
  }

  isNull(slot: KSlot = 'd'): this {
    return this.record('bpf_dynptr_is_null', [P.dynptr(slot)], `bpf_dynptr_is_null(&${slot})`);
  }

  isRdonly(slot: KSlot = 'd'): this {
    return this.record('bpf_dynptr_is_rdonly', [P.dynptr(slot)], `bpf_dynptr_is_rdonly(&${slot})`);
  }

  clone(from: KSlot = 'd', to: KSlot = 'e'): this {
    return this.record('bpf_dynptr_clone', [P.dynptr(from), P.dynptr(to)], `bpf_dynptr_clone(&${from}, &${to})`);
  }

  slice(off: number | bigint, sz: number, withBuf: boolean, rdwr: boolean, slot: KSlot = 'd', access: { load: boolean; store: number | null } = { load: false, store: null }): this {
    const fn = rdwr ? 'bpf_dynptr_slice_rdwr' : 'bpf_dynptr_slice';
    return this.pointer(fn, [P.dynptr(slot), P.imm(off), withBuf ? P.buf(this.g('sbuf')) : P.NULL, P.imm(sz)], `${fn}(&${slot}, ${show(off)}, ${withBuf ? 'sbuf' : 'NULL'}, ${sz})`, access);
  }

  data(off: number | bigint, len: number, slot: KSlot = 'd', access: { load: boolean; store: number | null } = { load: false, store: null }): this {
    return this.pointer('bpf_dynptr_data', [P.dynptr(slot), P.imm(off), P.imm(len)], `bpf_dynptr_data(&${slot}, ${show(off)}, ${len})`, access);
  }

  memset(off: number | bigint, size: number | bigint, val: number, slot: KSlot = 'd'): this {
    return this.record('bpf_dynptr_memset', [P.dynptr(slot), P.imm(off), P.imm(size), P.imm(val)], `bpf_dynptr_memset(&${slot}, ${show(off)}, ${show(size)}, ${val})`);
  }

  copy(dst: KSlot, doff: number | bigint, src: KSlot, soff: number | bigint, size: number | bigint): this {
    return this.record('bpf_dynptr_copy', [P.dynptr(dst), P.imm(doff), P.dynptr(src), P.imm(soff), P.imm(size)], `bpf_dynptr_copy(&${dst}, ${show(doff)}, &${src}, ${show(soff)}, ${show(size)})`);
  }

  /** `bpf_probe_read_{kernel,user}[_str]_dynptr` / `bpf_copy_from_user[_str]_dynptr` from `src+srcOff` (kernel) or an address. */
  probe(fn: string, off: number | bigint, size: number | bigint, from: { src: number } | { addr: number | bigint }, slot: KSlot = 'd'): this {
    const a = 'src' in from ? P.buf(this.g('src'), from.src) : P.imm(from.addr);
    return this.record(fn, [P.dynptr(slot), P.imm(off), P.imm(size), a], `${fn}(&${slot}, ${show(off)}, ${show(size)}, ${'src' in from ? `src+${from.src}` : show(from.addr)})`);
  }

  /** The same with the task argument: `bpf_copy_from_user_task[_str]_dynptr(…, bpf_get_current_task_btf())`. */
  probeTask(fn: string, off: number | bigint, size: number | bigint, addr: number | bigint, slot: KSlot = 'd'): this {
    const t = `t${this.n}`;
    this.body.push(P.call('bpf_get_current_task_btf', [], t));
    return this.record(fn, [P.dynptr(slot), P.imm(off), P.imm(size), P.imm(addr), P.r(t)], `${fn}(&${slot}, ${show(off)}, ${show(size)}, ${show(addr)}, current)`);
  }

  // -- user memory -------------------------------------------------------------------------------

  /** User pages mapped for the run (lib.ts `UserPages`: whole pages at `addr`, the page after them not mapped). */
  userPages(addr: bigint, bytes: Uint8Array): this {
    this.user.push({ addr, bytes });
    return this;
  }

  /** `<id>_out` starts as `outFill()` instead of zeros. */
  fillOut(): this {
    this.filledOut = true;
    return this;
  }

  /** `bpf_copy_from_user_str(out + dstOff, size, addr, flags)`. */
  copyFromUserStr(dstOff: number, size: number | bigint, addr: number | bigint, flags: number | bigint = 0): this {
    return this.record('bpf_copy_from_user_str', [P.buf(this.g('out'), dstOff), P.imm(size), P.imm(addr), P.imm(flags)],
      `bpf_copy_from_user_str(out+${dstOff}, ${show(size)}, ${show(addr)}, ${show(flags)})`);
  }

  /** `bpf_probe_read_user_str(out + dstOff, size, addr)` (the helper). */
  probeReadUserStr(dstOff: number, size: number | bigint, addr: number | bigint): this {
    return this.record('bpf_probe_read_user_str', [P.buf(this.g('out'), dstOff), P.imm(size), P.imm(addr)],
      `bpf_probe_read_user_str(out+${dstOff}, ${show(size)}, ${show(addr)})`);
  }

  /** `bpf_probe_read_user(out + dstOff, size, addr)` (the helper). */
  probeReadUser(dstOff: number, size: number | bigint, addr: number | bigint): this {
    return this.record('bpf_probe_read_user', [P.buf(this.g('out'), dstOff), P.imm(size), P.imm(addr)],
      `bpf_probe_read_user(out+${dstOff}, ${show(size)}, ${show(addr)})`);
  }

  /** `bpf_copy_from_user_task(out + dstOff, size, addr, bpf_get_current_task_btf(), flags)` (the helper; sleepable). */
  copyFromUserTask(dstOff: number, size: number | bigint, addr: number | bigint, flags: number | bigint = 0): this {
    const t = `t${this.n}`;
    this.body.push(P.call('bpf_get_current_task_btf', [], t));
    return this.record('bpf_copy_from_user_task', [P.buf(this.g('out'), dstOff), P.imm(size), P.imm(addr), P.r(t), P.imm(flags)],
      `bpf_copy_from_user_task(out+${dstOff}, ${show(size)}, ${show(addr)}, current, ${show(flags)})`);
  }

  /**
   * `bpf_copy_from_user_task_str(out + dstOff, size, addr, task, flags)` (a sleepable kfunc): `task`
   * is `current` (bpf_get_current_task_btf) or a register holding a task reference.
   */
  copyFromUserTaskStr(dstOff: number, size: number | bigint, addr: number | bigint, flags: number | bigint = 0, task = 'current'): this {
    let t = task;
    if (task === 'current') {
      t = `t${this.n}`;
      this.body.push(P.call('bpf_get_current_task_btf', [], t));
    }
    return this.record('bpf_copy_from_user_task_str', [P.buf(this.g('out'), dstOff), P.imm(size), P.imm(addr), P.r(t), P.imm(flags)],
      `bpf_copy_from_user_task_str(out+${dstOff}, ${show(size)}, ${show(addr)}, ${task}, ${show(flags)})`);
  }

  /**
   * A task reference kfunc (`bpf_task_from_pid`, `bpf_task_from_vpid`, `bpf_task_acquire`): 1 stored
   * when it returned a task, 0 for NULL. On a task, `use(t)` adds calls through it (their results
   * stored only then: 0 stays otherwise), and `bpf_task_release(t)` drops the reference. `of` is the
   * argument: `self` the current tgid (`bpf_get_current_pid_tgid() >> 32`), `current` the current
   * task (bpf_get_current_task_btf), or a pid.
   */
  taskRef(fn: 'bpf_task_from_pid' | 'bpf_task_from_vpid' | 'bpf_task_acquire', of: 'self' | 'current' | 'current->pid' | number, use: (b: this, t: string) => void = () => {}): this {
    const i = this.n;
    const v = this.slot(i);
    const t = `task${i}`;
    const skip = `T${i}`;
    let arg: Arg;
    if (of === 'self') {
      this.body.push(P.call('bpf_get_current_pid_tgid', [], `x${i}`), P.alu('rsh', `x${i}`, P.imm(32)));
      arg = P.r(`x${i}`);
    } else if (of === 'current') {
      this.body.push(P.call('bpf_get_current_task_btf', [], `c${i}`));
      arg = P.r(`c${i}`);
    } else if (of === 'current->pid') {
      this.body.push(P.call('bpf_get_current_task_btf', [], `c${i}`), P.field(`x${i}`, P.r(`c${i}`), 'pid'));
      arg = P.r(`x${i}`);
    } else {
      arg = P.imm(of);
    }
    this.body.push(P.call(fn, [arg], t), P.mov(v, P.imm(0)), P.goto(skip, P.when(t, '==', P.NULL)), P.mov(v, P.imm(1)));
    this.keep(fn, v, `${fn}(${of === 'self' ? 'getpid()' : of}) != NULL`);
    use(this, t);
    this.body.push(P.call('bpf_task_release', [P.r(t)]), P.label(skip));
    return this;
  }

  /** `bpf_probe_read_kernel_str(out + dstOff, size, src + from.src)` (program memory: kernel memory) or an address. */
  probeReadKernelStr(dstOff: number, size: number | bigint, from: { src: number } | { addr: number | bigint }): this {
    const a = 'src' in from ? P.buf(this.g('src'), from.src) : P.imm(from.addr);
    return this.record('bpf_probe_read_kernel_str', [P.buf(this.g('out'), dstOff), P.imm(size), a],
      `bpf_probe_read_kernel_str(out+${dstOff}, ${show(size)}, ${'src' in from ? `src+${from.src}` : show(from.addr)})`);
  }

  /**
   * `current->pid` (or `->tgid`), read by name through bpf_get_current_task_btf(), against the pid
   * (tgid) bpf_get_current_pid_tgid() gives: 1 stored when they are equal.
   */
  currentField(field: 'pid' | 'tgid'): this {
    const i = this.n;
    const v = this.slot(i);
    this.body.push(P.call('bpf_get_current_task_btf', [], `c${i}`), ...currentFieldOps(i, `c${i}`, field, v));
    this.keep('field', v, currentFieldText(field));
    return this;
  }

  // -- packets -----------------------------------------------------------------------------------

  pullData(len: number | bigint): this {
    return this.record('bpf_skb_pull_data', [P.ctxPtr, P.imm(len)], `bpf_skb_pull_data(ctx, ${show(len)})`);
  }

  adjustHead(delta: number): this {
    return this.record('bpf_xdp_adjust_head', [P.ctxPtr, P.imm(delta)], `bpf_xdp_adjust_head(ctx, ${delta})`);
  }

  /** `skb->len` (`__sk_buff->len`). */
  ctxLen(): this {
    const v = this.slot(this.n);
    this.body.push(P.ld(v, 4, P.ctxPtr, 0));
    this.keep('skb->len', v, 'skb->len');
    return this;
  }

  // -- ring buffer helpers -----------------------------------------------------------------------

  /** `p = bpf_ringbuf_reserve(rb, size, flags)`; when not NULL, `*(u8 *)p = fill` (size ≥ 1) and submit or discard it. */
  ringReserve(size: number, flags: number | bigint, commit: 'submit' | 'discard', cflags: number | bigint, fill: number): this {
    this.usesRing = true;
    const i = this.n;
    const v = this.slot(i);
    const p = `p${i}`;
    const skip = `R${i}`;
    this.body.push(P.call('bpf_ringbuf_reserve', [P.map(this.g('rb')), P.imm(size), P.imm(flags)], p), P.mov(v, P.imm(0)), P.goto(skip, P.when(p, '==', P.NULL)), P.mov(v, P.imm(1)));
    if (size >= 1) this.body.push(P.st(1, P.r(p), 0, P.imm(fill)));
    if (size >= 8) this.body.push(P.st(4, P.r(p), 4, P.imm(0x5a5a5a5a)));
    this.body.push(P.call(commit === 'submit' ? 'bpf_ringbuf_submit' : 'bpf_ringbuf_discard', [P.r(p), P.imm(cflags)]), P.label(skip));
    this.keep('bpf_ringbuf_reserve', v, `bpf_ringbuf_reserve(rb, ${size}, ${show(flags)}) != NULL (then ${commit})`);
    return this;
  }

  ringOutput(size: number, flags: number | bigint, srcOff = 0): this {
    this.usesRing = true;
    return this.record('bpf_ringbuf_output', [P.map(this.g('rb')), P.buf(this.g('src'), srcOff), P.imm(size), P.imm(flags)], `bpf_ringbuf_output(rb, src+${srcOff}, ${size}, ${show(flags)})`);
  }

  ringQuery(flags: number | bigint): this {
    this.usesRing = true;
    return this.record('bpf_ringbuf_query', [P.map(this.g('rb')), P.imm(flags)], `bpf_ringbuf_query(rb, ${show(flags)})`);
  }

  /** Another map in the case's object. */
  map(decl: BpfObject['maps'][number]): this {
    this.maps.push(decl);
    return this;
  }

  /** A stack variable of the program besides `d` and `e` (a slot to spill a pointer to). */
  local(l: Local): this {
    this.locals.push(l);
    return this;
  }

  /** A raw op (verifier cases). */
  raw(op: Op): this {
    this.body.push(op);
    return this;
  }

  build(rule: string, note: string, extra: { run?: PacketRun; verifier?: boolean; generated?: boolean; ring?: boolean } = {}): ConfCase {
    const ring = extra.ring ?? this.usesRing;
    const object: BpfObject = {
      name: this.id,
      maps: [...(ring ? [{ name: this.g('rb'), type: 'ringbuf' as const, maxEntries: RING_SIZE, valueSize: 0, taskWorkFields: 0 }] : []), ...this.maps],
      globals: [
        { name: this.g('rets'), kind: 'u64s', size: KRETS },
        { name: this.g('mem'), kind: 'bytes', size: KMEM },
        { name: this.g('out'), kind: 'bytes', size: KOUT, ...(this.filledOut ? { init: [...outFill()] } : {}) },
        { name: this.g('sbuf'), kind: 'bytes', size: KSBUF },
        { name: this.g('src'), kind: 'bytes', size: KSRC, init: [...srcPattern()] },
      ],
      programs: [{ name: this.id, section: this.section, locals: this.locals, body: [...this.body, P.ret(P.imm(RETURNS[this.section]))] }],
      subprogs: [],
    };
    const { run, verifier, generated } = extra;
    return {
      id: this.id, rule, note, object, calls: [...this.calls],
      ...(run === undefined ? {} : { run }), ...(ring ? { rings: [this.g('rb')] } : {}), ...(this.user.length > 0 ? { user: [...this.user] } : {}),
      ...(verifier === undefined ? {} : { verifier }), ...(generated === undefined ? {} : { generated }),
    };
  }
}

/** `size` bytes of a packet: byte i is `(i * 7 + seed) & 0xff`, and the first 14 an Ethernet header for IPv4. */
export function packetBytes(size: number, seed = 3): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i += 1) b[i] = (i * 7 + seed) & 0xff;
  if (size >= 14) {
    b[12] = 0x08;
    b[13] = 0x00;
  }
  return b;
}

const K = (id: string, sec: Section): KindBuilder => new KindBuilder(`k_${id}`, sec);
const skbRun = (size: number, dataSizeOut = 0, ctx?: PacketRun['ctx']): PacketRun => ({ data: packetBytes(size), dataSizeOut, ...(ctx === undefined ? {} : { ctx }) });
const xdpRun = (size: number, dataSizeOut = 0, ctx?: PacketRun['ctx']): PacketRun => ({ data: packetBytes(size, 5), dataSizeOut, ...(ctx === undefined ? {} : { ctx }) });

/** Hand-written cases: every errno path of the new kinds on the host, and their verifier rules. */
export const kindCases: readonly ConfCase[] = [
  // RINGBUF dynptrs.
  K('rb_reserve', 'syscall').reserveDynptr(16).size().isNull().isRdonly().write(0, 16).read(16, 0).submitDynptr()
    .ringQuery(0).ringQuery(1).ringQuery(2).ringQuery(3)
    .build('bpf_ringbuf_reserve_dynptr', 'a 16-byte record written and submitted; user space reads it; bpf_ringbuf_query before the read: 24 bytes available, size 4096, the positions'),
  K('rb_reserve_flags', 'syscall').reserveDynptr(16, 1).isNull().size().write(0, 1).discardDynptr()
    .build('bpf_ringbuf_reserve_dynptr', 'flags ≠ 0 → -EINVAL and a null dynptr (which must still be released)'),
  K('rb_reserve_big', 'syscall').reserveDynptr(4096).isNull().discardDynptr().reserveDynptr(4088).isNull().discardDynptr()
    .reserveDynptr(4080).size().discardDynptr().reserveDynptr(1 << 24).discardDynptr().reserveDynptr(0x1_0000_0010n).size().submitDynptr()
    .build('bpf_ringbuf_reserve_dynptr', 'a record larger than the ring (or the ring minus 8) → -EINVAL; 2^24 → -E2BIG; size is a u32'),
  K('rb_two', 'syscall').reserveDynptr(100).reserveDynptr(200, 0, 'e').write(0, 100).write(0, 200, 0, 'e').copy('d', 10, 'e', 20, 50)
    .submitDynptr('e').discardDynptr('d')
    .build('bpf_ringbuf_reserve_dynptr', 'two records; the second is submitted first, the first discarded: user space reads only the second'),
  K('rb_full', 'syscall').reserveDynptr(2000).reserveDynptr(2000, 0, 'e').isNull('e').submitDynptr('e').submitDynptr('d').ringQuery(0).ringQuery(3)
    .build('bpf_ringbuf_reserve_dynptr', 'the second record does not fit beside the first (counted from the consumer) → -EINVAL'),
  K('rb_clone', 'syscall').reserveDynptr(32).clone().adjust(8, 16, 'e').write(0, 8, 0, 'e').size('e').read(32, 0).submitDynptr('e')
    .build('bpf_dynptr_clone', 'a clone of a RINGBUF dynptr shares the record; submitting the clone submits it'),
  K('rb_clone_overwrite', 'syscall').reserveDynptr(8).clone().reserveDynptr(16, 0, 'e').write(0, 16, 0, 'e').write(0, 8).submitDynptr('e').submitDynptr('d')
    .build('bpf_dynptr_clone', 'a new record into the slot of a clone while the original still holds the record: 6.x refuses it ("cannot overwrite referenced dynptr"), 7.x accepts it (a clone still holds the reference); both records submitted'),
  K('rb_data', 'syscall').reserveDynptr(24).data(0, 8, 'd', { load: true, store: 0x42 }).data(16, 8).data(17, 8).data(0, 25).read(1, 0).submitDynptr()
    .build('bpf_dynptr_data', 'RINGBUF: a direct pointer into the record; a store through it lands in what user space reads'),
  K('rb_slice', 'syscall').reserveDynptr(24).slice(0, 8, false, false, 'd', { load: true, store: null }).slice(20, 8, true, false).write(0, 4).slice(0, 4, false, false, 'd', { load: true, store: null }).submitDynptr()
    .build('bpf_dynptr_slice', 'RINGBUF: slices are direct (a write through bpf_dynptr_write is seen through a slice taken after it)'),
  K('rb_memset', 'syscall').reserveDynptr(300).memset(0, 300, 0x77).memset(10, 5, 1).memset(299, 2, 3).memset(300, 0, 4).memset(301, 0, 5).read(16, 0).submitDynptr()
    .build('bpf_dynptr_memset', 'RINGBUF: a direct memset; past the end -E2BIG; size 0 at the end is 0'),
  K('rb_adjust', 'syscall').reserveDynptr(64).adjust(10, 64).size().adjust(10, 15).size().adjust(5, 4).adjust(0, 6).write(0, 5).submitDynptr()
    .build('bpf_dynptr_adjust', 'RINGBUF: adjust narrows; the submit commits the whole record whatever the dynptr\'s offset'),
  K('rb_output', 'syscall').ringOutput(10, 0).ringOutput(0, 0).ringOutput(20, 1).ringOutput(20, 2).ringOutput(20, 3).ringOutput(20, 4).ringQuery(0).ringQuery(3)
    .build('bpf_ringbuf_output', 'records of 10, 0 and 20 bytes; wake-up flags accepted, other flags -EINVAL'),
  K('rb_output_full', 'syscall').ringOutput(200, 0).ringOutput(200, 0, 10).ringOutput(200, 0, 20).ringQuery(0)
    .build('bpf_ringbuf_output', 'records until the ring (4096 bytes) cannot take more: -EAGAIN'),
  K('rb_reserve_helper', 'syscall').ringReserve(8, 0, 'submit', 0, 0x11).ringReserve(16, 1, 'submit', 0, 0x12).ringReserve(1, 0, 'discard', 2, 0x13).ringReserve(3, 0, 'submit', 1, 0x14).ringQuery(3)
    .build('bpf_ringbuf_reserve', 'bpf_ringbuf_reserve: flags ≠ 0 → NULL; a store through the record and submit or discard'),
  K('rb_probe_kernel', 'syscall').reserveDynptr(128).probe('bpf_probe_read_kernel_dynptr', 0, 100, { src: 0 }).probe('bpf_probe_read_kernel_str_dynptr', 0, 100, { src: 70 })
    .probe('bpf_probe_read_kernel_dynptr', 100, 29, { src: 0 }).probe('bpf_probe_read_kernel_dynptr', 0, 8, { addr: 0 }).probe('bpf_probe_read_kernel_str_dynptr', 0, 8, { addr: 4096 })
    .probe('bpf_probe_read_kernel_str_dynptr', 0, 0, { addr: 0 }).submitDynptr()
    .build('bpf_probe_read_kernel_dynptr', 'kernel memory (a global) into a RINGBUF dynptr; past the end -E2BIG; a user address -ERANGE; the _str variant stops after the NUL'),
  K('rb_probe_user', 'syscall').reserveDynptr(64).probe('bpf_probe_read_user_dynptr', 0, 8, { addr: 0 }).probe('bpf_probe_read_user_str_dynptr', 0, 8, { addr: 0 })
    .probe('bpf_copy_from_user_dynptr', 0, 8, { addr: 0 }).probe('bpf_copy_from_user_str_dynptr', 0, 8, { addr: 0 }).probe('bpf_probe_read_user_dynptr', 0, 0, { addr: 0 }).read(8, 0).submitDynptr()
    .build('bpf_probe_read_user_dynptr', 'a NULL user address faults (-EFAULT); copy_from_user zeroes what it could not copy'),
  // SKB dynptrs.
  K('skb_tc', 'tc').fromSkb().size().isRdonly().read(14, 0).read(1, 53).read(1, 54).read(0, 54).write(0, 6).write(50, 5).read(6, 0).ctxLen()
    .build('bpf_dynptr_from_skb', 'tc: a writable SKB dynptr from the MAC header; reads and writes; data_out shows the writes', { run: skbRun(54) }),
  K('skb_cgroup', 'cgroup_skb/egress').fromSkb().size().isRdonly().read(20, 0).write(0, 1).memset(0, 1, 0).ctxLen()
    .build('bpf_dynptr_from_skb', 'cgroup_skb: the dynptr starts at the network header (40 bytes of a 54-byte frame) and is read-only (-EINVAL on write, memset)', { run: skbRun(54) }),
  K('skb_socket', 'socket').fromSkb().size().isRdonly().read(8, 32).write(0, 1).ctxLen()
    .build('bpf_dynptr_from_skb', 'socket_filter: like cgroup_skb', { run: skbRun(100) }),
  K('skb_flags', 'tc').fromSkb(1).isNull().size().isRdonly().fromSkb(0).write(0, 2, 1).write(0, 2, 2).write(0, 2, 3).write(0, 2, 4).read(2, 0)
    .build('bpf_dynptr_from_skb', 'flags ≠ 0 → -EINVAL, null; write flags BPF_F_RECOMPUTE_CSUM/INVALIDATE_HASH accepted, others -EINVAL', { run: skbRun(60) }),
  K('skb_slices', 'tc').fromSkb().slice(0, 14, false, false, 'd', { load: true, store: null }).slice(0, 14, true, true, 'd', { load: true, store: 0xee })
    .slice(50, 8, true, false).slice(100, 8, true, false).data(0, 4)
    .build('bpf_dynptr_slice', 'tc: linear slices are direct; a store through slice_rdwr lands in data_out; past skb->len NULL; bpf_dynptr_data is NULL for SKB', { run: skbRun(60) }),
  K('skb_pull', 'tc').fromSkb().pullData(0).pullData(60).pullData(61).pullData(1 << 20).read(4, 56).ctxLen()
    .build('bpf_skb_pull_data', 'len 0 and len ≤ skb->len → 0; past skb->len -ENOMEM', { run: skbRun(60) }),
  K('skb_memset_copy', 'tc').fromSkb().memset(4, 10, 0xab).reserveDynptr(32, 0, 'e').copy('e', 0, 'd', 0, 32).copy('d', 40, 'e', 0, 16).copy('d', 50, 'e', 0, 16).submitDynptr('e')
    .build('bpf_dynptr_copy', 'tc: memset in the packet; copy packet → ring record → packet; past the end -E2BIG', { run: skbRun(60) }),
  K('skb_meta', 'tc').fromSkbMeta(0).size().isRdonly().read(0, 0).read(1, 0).write(0, 0).slice(0, 0, false, false).data(0, 1).fromSkbMeta(1, 'e').isNull('e')
    .build('bpf_dynptr_from_skb_meta', 'a test-run skb has no metadata: an SKB_META dynptr of size 0; flags ≠ 0 → -EINVAL', { run: skbRun(54) }),
  K('skb_too_big', 'tc').fromSkb().size()
    .build('BPF_PROG_TEST_RUN (skb)', 'data_in larger than the linear limit (3712 bytes on x86-64) → -EINVAL before 6.19', { run: skbRun(3713) }),
  K('skb_max', 'tc').fromSkb().size().read(8, 3704).write(3711, 1).read(1, 3711)
    .build('BPF_PROG_TEST_RUN (skb)', 'the largest linear skb (3712 bytes)', { run: skbRun(3712) }),
  K('skb_ipv4_short', 'tc').fromSkb().size()
    .build('BPF_PROG_TEST_RUN (skb)', 'an IPv4 frame whose linear part cannot hold the IP header (33 bytes) → -EINVAL', { run: skbRun(33) }),
  K('skb_ipv4_min', 'cgroup_skb/egress').fromSkb().size().read(20, 0)
    .build('BPF_PROG_TEST_RUN (skb)', 'an IPv4 frame with exactly the IP header (34 bytes)', { run: skbRun(34) }),
  K('skb_other_proto', 'tc').fromSkb().size().read(14, 0)
    .build('BPF_PROG_TEST_RUN (skb)', 'a frame that is not IP may be as short as ETH_HLEN', { run: { data: new Uint8Array(14).fill(0x12), dataSizeOut: 0 } }),
  K('skb_short', 'tc').fromSkb().size()
    .build('BPF_PROG_TEST_RUN (skb)', 'data_in shorter than ETH_HLEN → -EINVAL', { run: skbRun(13) }),
  K('skb_data_end', 'tc').fromSkb().size()
    .build('BPF_PROG_TEST_RUN (skb)', 'ctx->data_end (a linear size) before 6.19 → -EINVAL', { run: skbRun(100, 0, { kind: 'skb', dataEnd: 50 }) }),
  K('skb_enospc', 'tc').fromSkb().write(0, 4)
    .build('BPF_PROG_TEST_RUN (skb)', 'data_size_out smaller than the packet: the first bytes and -ENOSPC', { run: skbRun(60, 20) }),
  K('skb_l3_zeroed_mac', 'cgroup_skb/ingress').fromSkb().read(4, 0)
    .build('BPF_PROG_TEST_RUN (skb)', 'data_out of a non-L2 program starts with a zeroed MAC header', { run: skbRun(60) }),
  // XDP dynptrs.
  K('xdp_basic', 'xdp').fromXdp().size().isRdonly().read(14, 0).write(0, 6).write(94, 6).write(95, 6).read(6, 94)
    .build('bpf_dynptr_from_xdp', 'a writable XDP dynptr over the linear part', { run: xdpRun(100) }),
  K('xdp_frags', 'xdp').fromXdp().size().read(16, 3510).write(3515, 10).read(10, 3515).slice(3516, 8, false, false).slice(3516, 8, true, false, 'd', { load: true, store: null })
    .slice(3520, 8, false, true, 'd', { load: true, store: 0x99 }).slice(3520 + 4090, 8, true, true, 'd', { load: true, store: 0x98 }).memset(3500, 40, 0x33)
    .build('bpf_dynptr_from_xdp', '5000 bytes: 3520 linear, a frag of 1480; a slice across them is a copy (NULL without a buffer); one inside the frag is direct', { run: xdpRun(5000) }),
  K('xdp_meta', 'xdp').fromXdp().size().read(4, 0).write(0, 4)
    .build('bpf_dynptr_from_xdp', 'metadata (ctx->data = 8) is not part of the dynptr; data_out starts with it', { run: xdpRun(64, 0, { kind: 'xdp', data: 8, dataEnd: 64 }) }),
  K('xdp_data_end_0', 'xdp').fromXdp().size().slice(0, 1, false, false).slice(0, 14, false, false).slice(20, 4, false, false).read(4, 0)
    .build('BPF_PROG_TEST_RUN (xdp)', 'ctx->data_end 0', { run: xdpRun(100, 0, { kind: 'xdp', data: 0, dataEnd: 0 }) }),
  K('xdp_data_end_10', 'xdp').fromXdp().size().slice(0, 1, false, false).slice(0, 10, false, false).slice(0, 11, false, false).slice(10, 4, false, false)
    .build('BPF_PROG_TEST_RUN (xdp)', 'ctx->data_end 10: a linear part shorter than ETH_HLEN', { run: xdpRun(100, 0, { kind: 'xdp', data: 0, dataEnd: 10 }) }),
  K('xdp_meta_216', 'xdp').fromXdp().size().read(4, 0)
    .build('BPF_PROG_TEST_RUN (xdp)', 'the most metadata (216 bytes: the headroom keeps the xdp_frame)', { run: xdpRun(300, 0, { kind: 'xdp', data: 216, dataEnd: 300 }) }),
  K('xdp_meta_220', 'xdp').fromXdp().size()
    .build('BPF_PROG_TEST_RUN (xdp)', '220 bytes of metadata → -EINVAL', { run: xdpRun(300, 0, { kind: 'xdp', data: 220, dataEnd: 300 }) }),
  K('xdp_meta_bad', 'xdp').fromXdp().size()
    .build('BPF_PROG_TEST_RUN (xdp)', 'a metadata size not a multiple of 4 → -EINVAL', { run: xdpRun(64, 0, { kind: 'xdp', data: 6, dataEnd: 64 }) }),
  K('xdp_linear', 'xdp').fromXdp().size().read(8, 36).slice(36, 8, false, false)
    .build('BPF_PROG_TEST_RUN (xdp)', 'ctx->data_end smaller than the packet: a 40-byte linear part, the rest a frag (6.18)', { run: xdpRun(200, 0, { kind: 'xdp', dataEnd: 40 }) }),
  K('xdp_adjust', 'xdp').adjustHead(-14).fromXdp().size().read(16, 0).adjustHead(14).adjustHead(-300).adjustHead(-216).adjustHead(-1).adjustHead(86).adjustHead(87).size().read(4, 0)
    .build('bpf_xdp_adjust_head', 'growing into the headroom (zeros), shrinking; the limits (xdp_frame, ETH_HLEN) → -EINVAL; an XDP dynptr keeps its size', { run: xdpRun(100) }),
  K('xdp_adjust_meta', 'xdp').adjustHead(-20).fromXdp().read(32, 0)
    .build('bpf_xdp_adjust_head', 'the metadata moves with the start: bytes of the old metadata join the packet', { run: xdpRun(64, 0, { kind: 'xdp', data: 16, dataEnd: 64 }) }),
  K('xdp_enospc_frags', 'xdp').fromXdp().size()
    .build('BPF_PROG_TEST_RUN (xdp)', 'data_size_out smaller than the frags: nothing copied, -ENOSPC, data_size_out and retval not written', { run: xdpRun(5000, 1000) }),
  K('xdp_enospc', 'xdp').fromXdp().size()
    .build('BPF_PROG_TEST_RUN (xdp)', 'data_size_out between the frags and the packet: the linear part is cut, the frags copied', { run: xdpRun(5000, 3000) }),
  K('xdp_far', 'xdp').fromXdp().size().read(8, 0x10000).write(0x10000, 8).slice(0x10000, 8, true, false).slice(0x10000, 8, false, false)
    .build('bpf_dynptr_read', 'XDP: an offset above 0xffff → -EFAULT (bpf_xdp_pointer); a slice there is a copy into the buffer', { run: xdpRun(70000) }),
  K('xdp_copy_ring', 'xdp').fromXdp().reserveDynptr(200, 0, 'e').copy('e', 0, 'd', 3450, 200).copy('d', 3500, 'e', 0, 100).read(16, 3500).submitDynptr('e')
    .build('bpf_dynptr_copy', 'XDP across the frag boundary → RINGBUF record → XDP', { run: xdpRun(5000) }),
  K('xdp_probe', 'xdp').fromXdp().probe('bpf_probe_read_kernel_dynptr', 3500, 50, { src: 0 }).probe('bpf_probe_read_kernel_str_dynptr', 3500, 100, { src: 10 }).read(60, 3500)
    .build('bpf_probe_read_kernel_dynptr', 'kernel memory into an XDP dynptr across the frag boundary (chunked writes)', { run: xdpRun(5000) }),
];
