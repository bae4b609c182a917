/**
 * Generated file-reader programs: a well-formed `validate_file_read`-like body, optionally broken by
 * one mutation of the kind the verifier exists to reject, and the worlds to run them in.
 */
import fc from 'fast-check';
import { content, program as P, Session, type BpfObject, type Op } from '../src/index.ts';

const { r, imm, NULL, dynptr, buf, call, label, goto, ret, when } = P;

export type Mutation = 'none' | 'drop_discard' | 'drop_put' | 'drop_null_check' | 'use_clone_after_discard' | 'put_before_discard' | 'sleepable_call';

export type Action =
  | { readonly kind: 'read'; readonly len: number; readonly off: bigint; readonly viaClone: boolean }
  | { readonly kind: 'adjust'; readonly start: bigint; readonly end: bigint }
  | { readonly kind: 'size' };

export interface GenProgram {
  readonly section: 'lsm/file_open' | 'lsm.s/file_open';
  readonly flags: number;
  readonly clone: boolean;
  readonly actions: readonly Action[];
  readonly mutation: Mutation;
}

const u64Edge = fc.oneof(
  fc.constantFrom(0n, 1n, 4095n, 4096n, 4097n, 8191n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 63n, 2n ** 64n - 1n),
  fc.bigInt({ min: 0n, max: 3n * 4096n }),
);

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('read' as const), len: fc.constantFrom(0, 1, 8, 100, 4096, 5000), off: u64Edge, viaClone: fc.boolean() }),
  fc.record({ kind: fc.constant('adjust' as const), start: u64Edge, end: u64Edge }),
  fc.record({ kind: fc.constant('size' as const) }),
);

export const genProgram = (mutations: readonly Mutation[]): fc.Arbitrary<GenProgram> => fc.record({
  section: fc.constantFrom('lsm/file_open' as const, 'lsm.s/file_open' as const),
  flags: fc.constantFrom(0, 0, 0, 1),
  clone: fc.boolean(),
  actions: fc.array(action, { maxLength: 5 }),
  mutation: fc.constantFrom(...mutations),
});

/** The program value. Registers: r6 the task, r7 the exe file; slots `d` and its clone `c`. */
export function toObject(g: GenProgram): BpfObject {
  const m = g.mutation;
  const body: Op[] = [
    // A sleepable-only kfunc: fine in lsm.s/, refused in lsm/ (KF_SLEEPABLE).
    ...(m === 'sleepable_call' ? [call('bpf_copy_from_user_str', [buf('buf'), imm(8), imm(0x1000), imm(0)], 'r0')] : []),
    call('bpf_get_current_task_btf', [], 'r6'),
    call('bpf_get_task_exe_file', [r('r6')], 'r7'),
    ...(m === 'drop_null_check' ? [] : [goto('out', when('r7', '==', NULL))]),
    call('bpf_dynptr_from_file', [r('r7'), imm(g.flags), dynptr('d')], 'r0'),
    ...(g.clone || m === 'use_clone_after_discard' ? [call('bpf_dynptr_clone', [dynptr('d'), dynptr('c')], 'r0')] : []),
  ];
  for (const a of g.actions) {
    if (a.kind === 'read') body.push(call('bpf_dynptr_read', [buf('buf'), imm(a.len), dynptr(a.viaClone && g.clone ? 'c' : 'd'), imm(a.off), imm(0)], 'r0'));
    else if (a.kind === 'adjust') body.push(call('bpf_dynptr_adjust', [dynptr('d'), imm(a.start), imm(a.end)], 'r0'));
    else body.push(call('bpf_dynptr_size', [dynptr('d')], 'r0'));
  }
  const discard = call('bpf_dynptr_file_discard', [dynptr('d')]);
  const put = call('bpf_put_file', [r('r7')]);
  if (m === 'put_before_discard') body.push(put, discard);
  else {
    if (m !== 'drop_discard') body.push(discard);
    if (m === 'use_clone_after_discard') body.push(call('bpf_dynptr_read', [buf('buf'), imm(1), dynptr('c'), imm(0), imm(0)], 'r0'));
    if (m !== 'drop_put') body.push(put);
  }
  body.push(label('out'), ret(imm(0)));
  return {
    name: 'gen',
    maps: [],
    globals: [{ name: 'buf', kind: 'bytes', size: 5000 }],
    programs: [{ name: 'gen_prog', section: g.section, body }],
    subprogs: [],
  };
}

export interface GenWorld {
  readonly exeSize: number;
  /** Pages of the exe cached before the program runs. */
  readonly cached: readonly number[];
  /** The opener is a kernel thread: no mm, so bpf_get_task_exe_file returns NULL. */
  readonly kthread: boolean;
}

export const genWorld: fc.Arbitrary<GenWorld> = fc.record({
  exeSize: fc.constantFrom(0, 1, 4095, 4096, 4097, 3 * 4096),
  cached: fc.subarray([0, 1, 2]),
  kthread: fc.boolean(),
});

export const EXE = '/bin/gen';
const TRIGGER = '/tmp/trigger';

/** The world, with the object loaded (verified unless `unverified`) and one task that opens the trigger. */
export function buildWorld(w: GenWorld, obj: BpfObject, unverified: boolean): Session {
  const s = new Session();
  s.createFile({ path: EXE, content: content.pattern(9), size: w.exeSize });
  s.createFile({ path: TRIGGER, content: content.zero(), size: 4 });
  for (const p of w.cached) s.populate(EXE, p * 4096, 4096);
  s.load(obj, { unverified });
  s.spawn({ comm: 'opener', ...(w.kthread ? {} : { exe: EXE }), script: [{ sys: 'open', path: TRIGGER, fd: 't' }, { sys: 'close', fd: 't' }] });
  return s;
}
