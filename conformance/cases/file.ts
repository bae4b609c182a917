/**
 * Guest-tier cases: FILE dynptrs on a 7.2 kernel. Each case is one LSM program (`lsm/file_open`,
 * non-sleepable, or `lsm.s/file_open`, sleepable), or an `lsm/file_open` program that schedules a
 * signal-mode task_work whose sleepable callback makes the reads. The program, filtered on the
 * case's `<id>_pid` global, takes the current task's exe file (`bpf_get_task_exe_file`), makes a FILE
 * dynptr over it, runs its operations and stores each return value in `<id>_rets`; reads go to
 * `<id>_out`. The exe file is the guest driver itself, with data appended past its ELF segments
 * (`conformance/guest-tier.ts`), so its pages can be made cold.
 */
import { program as P, type BpfObject, type Op } from '../../src/index.ts';
import type { CallRecord, SysMapOp } from './lib.ts';

export const FRETS = 48;
export const FOUT = 512;
export const NO_FILE = 0xdeadn;

/** The page-cache state the driver sets up before the trigger: re-read page ranges after eviction. */
export type CacheState = 'warm' | 'cold' | { readonly pages: readonly (readonly [number, number])[] };

export interface FileCase {
  readonly id: string;
  readonly rule: string;
  readonly note: string;
  readonly object: BpfObject;
  readonly calls: readonly CallRecord[];
  readonly state: CacheState;
  readonly generated?: boolean;
  /** Seed-style objects (their own global names): compared by these globals instead of rets. */
  readonly compareGlobals?: readonly string[];
  /** The model refuses the program (conformance/cases/file_verifier.ts): compared by the verdict and the log; never run. */
  readonly verifier?: boolean;
  /** User space's map syscalls after the case (the driver's `SYS` lines), each one's result and buffer compared. */
  readonly sys?: readonly SysMapOp[];
}

/**
 * Where the reads run: `lsm/file_open` (non-sleepable), `lsm.s/file_open` (sleepable) or a task_work
 * callback, each reading the exe file (`bpf_get_task_exe_file`); or `lsm/mmap_file` / `lsm.s/mmap_file`
 * reading the file being mapped (the hook's own `struct file`, already open: a script case's data file).
 */
/**
 * Where the reader runs: `lsm`/`lsm.s` (file_open, reading the task's exe), `task_work` (a callback
 * scheduled from file_open), `mmap`/`mmap.s` (lsm/mmap_file, reading the file mapped), `open`/`open.s`
 * (lsm/file_open, reading the file being opened: FMODE_CAN_READ is not set yet).
 */
export type Context = 'lsm' | 'lsm.s' | 'task_work' | 'mmap' | 'mmap.s' | 'open' | 'open.s';
const HOOK_FILE: ReadonlySet<Context> = new Set(['mmap', 'mmap.s', 'open', 'open.s']);

export const SBUF = 64;

const show = (v: number | bigint): string => {
  const b = BigInt(v);
  return b >= 0x1_0000_0000n ? `0x${b.toString(16)}` : b.toString();
};

export function stateText(s: CacheState): string {
  if (typeof s === 'string') return s;
  return `P:${s.pages.map(([a, b]) => `${a}-${b}`).join(',')}`;
}

/**
 * The head of every guest program: run only for the driver's task (`pid`, a global the driver sets to
 * its tgid before the trigger), else jump to the label `out`.
 */
export function pidFilterOps(pid: string): Op[] {
  return [
    P.call('bpf_get_current_pid_tgid', [], 'r1'),
    P.alu('rsh', 'r1', P.imm(32)),
    P.mov('r2', P.glob(pid)),
    P.goto('out', P.when('r1', '!=', P.r('r2'))),
  ];
}

export class FileCaseBuilder {
  private readonly body: Op[] = [];
  private readonly calls: CallRecord[] = [];
  private n = 0;
  private cloned = false;
  constructor(readonly id: string, readonly ctx: Context, readonly flags: number | bigint = 0, readonly outSize = FOUT) {
    const hookFile = HOOK_FILE.has(ctx);
    // The mmap_file hook's file may be NULL (7.x: PTR_MAYBE_NULL): the body tests r7 = file first.
    this.scalar('bpf_dynptr_from_file', [P.r('r7'), P.imm(flags), P.dynptr('d')], `bpf_dynptr_from_file(${hookFile ? 'file' : 'exe'}, ${show(flags)}, &d)`);
  }

  get sleepable(): boolean {
    return this.ctx !== 'lsm' && this.ctx !== 'mmap' && this.ctx !== 'open';
  }

  private g(name: string): string {
    return `${this.id}_${name}`;
  }

  private scalar(fn: string, args: readonly P.Arg[], text: string, ptr = false): this {
    const i = this.n;
    if (i >= FRETS - 2) throw new Error(`${this.id}: more than ${FRETS - 2} calls`);
    this.n += 1;
    this.body.push(P.call(fn, args, `v${i}`));
    if (ptr) {
      // A pointer result is stored as 1 (non-NULL) or 0 (NULL).
      this.body.push(P.mov(`p${i}`, P.imm(0)), P.goto(`L${i}`, P.when(`v${i}`, '==', P.NULL)), P.mov(`p${i}`, P.imm(1)), P.label(`L${i}`),
        P.storeAt(this.g('rets'), i, P.r(`p${i}`)));
    } else this.body.push(P.storeAt(this.g('rets'), i, P.r(`v${i}`)));
    this.calls.push({ index: i, fn, text });
    return this;
  }

  /** The dynptr an op uses: the clone when `viaClone` and one was made. */
  private slot(viaClone: boolean): 'd' | 'e' {
    return viaClone && this.cloned ? 'e' : 'd';
  }

  read(len: number, off: number | bigint, viaClone = false): this {
    const d = this.slot(viaClone);
    return this.scalar('bpf_dynptr_read', [P.buf(this.g('out')), P.imm(len), P.dynptr(d), P.imm(off), P.imm(0)],
      `bpf_dynptr_read(out, ${len}, &${d}, ${show(off)}, 0)`);
  }

  /** `bpf_dynptr_clone(&d, &e)`: a FILE clone shares the state (and the reference) with d. */
  clone(): this {
    this.cloned = true;
    return this.scalar('bpf_dynptr_clone', [P.dynptr('d'), P.dynptr('e')], 'bpf_dynptr_clone(&d, &e)');
  }

  /** `bpf_dynptr_slice(&d, off, sbuf, sz) != NULL`. */
  slice(off: number | bigint, sz: number, viaClone = false): this {
    const d = this.slot(viaClone);
    return this.scalar('bpf_dynptr_slice', [P.dynptr(d), P.imm(off), P.buf(this.g('sbuf')), P.imm(sz)], `bpf_dynptr_slice(&${d}, ${show(off)}, sbuf, ${sz}) != NULL`, true);
  }

  isRdonly(viaClone = false): this {
    const d = this.slot(viaClone);
    return this.scalar('bpf_dynptr_is_rdonly', [P.dynptr(d)], `bpf_dynptr_is_rdonly(&${d})`);
  }

  write(off: number | bigint, len: number): this {
    return this.scalar('bpf_dynptr_write', [P.dynptr('d'), P.imm(off), P.buf(this.g('out')), P.imm(len), P.imm(0)],
      `bpf_dynptr_write(&d, ${show(off)}, out, ${len}, 0)`);
  }

  adjust(start: number | bigint, end: number | bigint, viaClone = false): this {
    const d = this.slot(viaClone);
    return this.scalar('bpf_dynptr_adjust', [P.dynptr(d), P.imm(start), P.imm(end)], `bpf_dynptr_adjust(&${d}, ${show(start)}, ${show(end)})`);
  }

  size(viaClone = false): this {
    const d = this.slot(viaClone);
    return this.scalar('bpf_dynptr_size', [P.dynptr(d)], `bpf_dynptr_size(&${d})`);
  }

  /** The reads, then discard and put, as a body reading the current task's exe file. */
  private readerBody(): Op[] {
    const discardIdx = this.n;
    if (HOOK_FILE.has(this.ctx)) {
      // The hook's file is borrowed: nothing to take or put; NULL (an anonymous mapping): nothing to read.
      return [
        P.mov('r7', P.ctxFile),
        P.goto('no_file', P.when('r7', '==', P.NULL)),
        ...this.body,
        P.call('bpf_dynptr_file_discard', [P.dynptr('d')], `v${discardIdx}`),
        P.storeAt(this.g('rets'), discardIdx, P.r(`v${discardIdx}`)),
        P.ret(P.imm(0)),
        P.label('no_file'),
        P.storeAt(this.g('rets'), FRETS - 1, P.imm(NO_FILE)),
        P.ret(P.imm(0)),
      ];
    }
    return [
      P.call('bpf_get_current_task_btf', [], 'r6'),
      P.call('bpf_get_task_exe_file', [P.r('r6')], 'r7'),
      P.goto('no_file', P.when('r7', '==', P.NULL)),
      ...this.body,
      P.call('bpf_dynptr_file_discard', [P.dynptr('d')], `v${discardIdx}`),
      P.storeAt(this.g('rets'), discardIdx, P.r(`v${discardIdx}`)),
      P.call('bpf_put_file', [P.r('r7')]),
      P.ret(P.imm(0)),
      P.label('no_file'),
      P.storeAt(this.g('rets'), FRETS - 1, P.imm(NO_FILE)),
      P.ret(P.imm(0)),
    ];
  }

  build(rule: string, note: string, state: CacheState, extra: { generated?: boolean } = {}): FileCase {
    const calls = [...this.calls, { index: this.n, fn: 'bpf_dynptr_file_discard', text: 'bpf_dynptr_file_discard(&d)' }];
    const pidFilter = pidFilterOps(this.g('pid'));
    const globals: BpfObject['globals'] = [
      { name: this.g('rets'), kind: 'u64s', size: FRETS },
      { name: this.g('out'), kind: 'bytes', size: this.outSize },
      { name: this.g('sbuf'), kind: 'bytes', size: SBUF },
      { name: this.g('pid'), kind: 'int' },
    ];
    let object: BpfObject;
    if (this.ctx === 'task_work') {
      // The hook schedules (7.x four-argument name); the sleepable callback reads. rets[FRETS-2]: the schedule.
      const map = { name: this.g('map'), type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 1 } as const;
      object = {
        name: this.id, maps: [map], globals,
        programs: [{
          name: this.id, section: 'lsm/file_open',
          body: [
            ...pidFilter,
            P.call('bpf_map_lookup_elem', [P.map(map.name), P.imm(0)], 'r6'),
            P.goto('out', P.when('r6', '==', P.NULL)),
            P.call('bpf_get_current_task_btf', [], 'r7'),
            P.call('bpf_task_work_schedule_signal', [P.r('r7'), P.tw('r6'), P.map(map.name), P.cb(this.g('cb'))], 'r0'),
            P.storeAt(this.g('rets'), FRETS - 2, P.r('r0')),
            P.label('out'),
            P.ret(P.imm(0)),
          ],
        }],
        subprogs: [{ name: this.g('cb'), isStatic: true, body: this.readerBody() }],
      };
      calls.push({ index: FRETS - 2, fn: 'bpf_task_work_schedule_signal', text: 'bpf_task_work_schedule_signal(current, &v->tw, &map, cb)' });
    } else {
      object = {
        name: this.id, maps: [], globals,
        programs: [{
          name: this.id, section: { lsm: 'lsm/file_open', 'lsm.s': 'lsm.s/file_open', mmap: 'lsm/mmap_file', 'mmap.s': 'lsm.s/mmap_file', open: 'lsm/file_open', 'open.s': 'lsm.s/file_open' }[this.ctx],
          body: [...pidFilter, ...this.readerBody(), P.label('out'), P.ret(P.imm(0))],
        }],
        subprogs: [],
      };
    }
    return { id: this.id, rule, note, object, calls, state, ...extra };
  }
}

/** Offsets of the driver's executable file: its size and where the appended data starts. */
export interface ExeLayout {
  readonly size: number;
  /** First byte of the appended data (page-aligned). */
  readonly dataStart: number;
}

const PG = 4096;
const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** Hand-written cases over the exe layout. */
export function handFileCases(L: ExeLayout): FileCase[] {
  const S = L.size;
  const D = L.dataStart;
  const lastPage = Math.floor((S - 1) / PG) * PG;
  const pastEof = lastPage + PG;
  const dPage = D / PG;
  const B = (id: string, ctx: Context, flags: number | bigint = 0): FileCaseBuilder => new FileCaseBuilder(`f_${id}`, ctx, flags);
  const out: FileCase[] = [];
  for (const ctx of ['lsm', 'lsm.s'] as const) {
    const t = ctx === 'lsm' ? 'ns' : 's';
    const sl = ctx === 'lsm' ? 'non-sleepable' : 'sleepable';
    out.push(
      B(`warm_${t}`, ctx).size().read(64, D).read(64, D + PG - 10).read(1, S - 1).read(0, 0).read(FOUT, D + 3 * PG)
        .build('file: warm reads', `${sl}, warm cache: size U64_MAX, reads inside and across pages → 0`, 'warm'),
      B(`cold_${t}`, ctx).read(1, D).read(0, D + PG).read(64, D + 2 * PG - 32).read(8, S - 8)
        .build('file: cold reads', `${sl}, exe evicted: ${ctx === 'lsm' ? '-EFAULT (also len 0)' : '0, the reader waits for I/O'}`, 'cold'),
      B(`partial_${t}`, ctx).read(16, D + 10).read(64, D + PG - 32).read(16, D + PG + 10).read(0, D + PG)
        .build('file: partial cache', `${sl}, first data page cached, second not: a read crossing into it ${ctx === 'lsm' ? '→ -EFAULT' : '→ 0'}`,
          { pages: [[dPage, dPage]] }),
      B(`eof_${t}`, ctx).read(64, S - 10).read(1, S).read(2, S - 1).read(1, pastEof).read(1, pastEof + PG).read(0, S).read(64, lastPage + PG - 64)
        .build('file: reads past EOF', `${sl}, warm: crossing EOF inside the last cached page → 0 with zeros; a page wholly past EOF → ${ctx === 'lsm' ? '-EFAULT' : '-EIO'}`, 'warm'),
      B(`adjust_${t}`, ctx).size().adjust(0, BigInt(S) + 1n).size().read(2, S - 1).adjust(5, 3).adjust(0, BigInt(S) + 2n).adjust(D, D + 100).size()
        .read(100, 0).read(101, 0).read(1, 100).read(0, 100).adjust(0, 0).size()
        .build('file: adjust and bounds', `${sl}: adjust(0, S+1) → 0 and size S+1; start>end -EINVAL; end>size -ERANGE; reads after adjust relative and bounded`, 'warm'),
      B(`u64_${t}`, ctx).size().adjust(0, U64_MAX).size().read(1, U64_MAX).read(1, 1n << 32n).read(1, (1n << 32n) + BigInt(D)).adjust(U64_MAX, U64_MAX).size().read(0, 0).read(1, 0)
        .build('file: u64 edges', `${sl}: u64 size (7.x), offsets ≥ 2^32 are real offsets (past EOF)`, 'warm'),
      B(`flags_${t}`, ctx, 1).size().read(1, 0).adjust(0, 1)
        .build('file: from_file flags', `${sl}: flags ≠ 0 → -EINVAL; size/read/adjust -EINVAL; discard 0`, 'warm'),
      B(`write_${t}`, ctx).write(0, 1).write(D, 0).read(1, 0)
        .build('file: write', `${sl}: bpf_dynptr_write on a FILE dynptr → -EINVAL (accepted by the verifier)`, 'warm'),
      B(`discard_${t}`, ctx).read(1, 0)
        .build('file: discard', `${sl}: discard of a live FILE dynptr → 0`, 'cold'),
    );
  }
  out.push(
    B('tw_cold', 'task_work').size().read(1, D).read(0, D + PG).read(64, D + 2 * PG - 32).read(1, pastEof).read(64, S - 10)
      .build('task_work: 7.x schedule and a sleepable callback', 'lsm/file_open schedules bpf_task_work_schedule_signal (4 args, 7.x); the callback reads evicted pages → 0, a page past EOF → -EIO', 'cold'),
    B('tw_warm', 'task_work').size().read(FOUT, D).adjust(0, BigInt(S) + 1n).size()
      .build('task_work: 7.x schedule and a sleepable callback', 'the callback on a warm cache', 'warm'),
  );
  return out;
}
