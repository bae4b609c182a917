/**
 * Task references on the guest (7.2): an `lsm/file_open` program of the driver's task takes references
 * with `bpf_task_from_pid` / `bpf_task_from_vpid` (its own tgid; pids 0 and 0x7fffffff find no task)
 * and `bpf_task_acquire(current)`, and through the task it found reads its executable:
 * `bpf_get_task_exe_file(t)`, a FILE dynptr over it, 16 bytes read, discard, `bpf_put_file`, then
 * `bpf_task_release`. Each result is stored in `<id>_rets` (a pointer as 1 or 0), the bytes in
 * `<id>_out`; the guest compares them, and the exe's page residency, with the model's. It also reads
 * `current->tgid` and `->pid` by name and finds its task with `bpf_task_from_pid(current->pid)`.
 */
import { program as P, type Arg, type BpfObject, type Op } from '../../src/index.ts';
import { FOUT, FRETS, pidFilterOps, type FileCase } from './file.ts';
import { currentFieldOps, currentFieldText, type CallRecord } from './lib.ts';

export function taskRefFileCase(): FileCase {
  const id = 'task_ref';
  const g_ = (name: string): string => `${id}_${name}`;
  const body: Op[] = [];
  const calls: CallRecord[] = [];
  let n = 0;
  /** `fn(args)` into v<i>, stored in rets[i] (a pointer as 1 or 0); returns the register holding the result. */
  const rec = (fn: string, args: readonly Arg[], text: string, ptr = false): string => {
    const i = n;
    n += 1;
    const v = `v${i}`;
    body.push(P.call(fn, args, v));
    if (ptr) body.push(P.mov(`p${i}`, P.imm(0)), P.goto(`L${i}`, P.when(v, '==', P.NULL)), P.mov(`p${i}`, P.imm(1)), P.label(`L${i}`), P.storeAt(g_('rets'), i, P.r(`p${i}`)));
    else body.push(P.storeAt(g_('rets'), i, P.r(v)));
    calls.push({ index: i, fn, text });
    return v;
  };
  /** A task reference kfunc; on a task, `use(t)` then `bpf_task_release(t)`. */
  const ref = (fn: string, arg: Arg, text: string, use: (t: string) => void = () => {}): void => {
    const t = rec(fn, [arg], `${fn}(${text}) != NULL`, true);
    const skip = `S${n}`;
    body.push(P.goto(skip, P.when(t, '==', P.NULL)));
    use(t);
    body.push(P.call('bpf_task_release', [P.r(t)]), P.label(skip));
  };

  body.push(P.call('bpf_get_current_pid_tgid', [], 'self'), P.alu('rsh', 'self', P.imm(32)));
  ref('bpf_task_from_pid', P.r('self'), 'getpid()', (t) => {
    const f = rec('bpf_get_task_exe_file', [P.r(t)], 'bpf_get_task_exe_file(t) != NULL', true);
    body.push(P.goto('no_exe', P.when(f, '==', P.NULL)));
    rec('bpf_dynptr_from_file', [P.r(f), P.imm(0), P.dynptr('d')], 'bpf_dynptr_from_file(exe, 0, &d)');
    rec('bpf_dynptr_read', [P.buf(g_('out')), P.imm(16), P.dynptr('d'), P.imm(0), P.imm(0)], 'bpf_dynptr_read(out, 16, &d, 0, 0)');
    rec('bpf_dynptr_file_discard', [P.dynptr('d')], 'bpf_dynptr_file_discard(&d)');
    body.push(P.call('bpf_put_file', [P.r(f)]), P.label('no_exe'));
  });
  ref('bpf_task_from_pid', P.imm(0), '0');
  ref('bpf_task_from_pid', P.imm(0x7fff_ffff), '0x7fffffff');
  ref('bpf_task_from_vpid', P.r('self'), 'getpid()');
  body.push(P.call('bpf_get_current_task_btf', [], 'cur'));
  ref('bpf_task_acquire', P.r('cur'), 'current');
  // current->tgid and ->pid read by name (CO-RE): 1 when equal to what bpf_get_current_pid_tgid gives.
  for (const f of ['tgid', 'pid'] as const) {
    const i = n;
    n += 1;
    body.push(...currentFieldOps(i, 'cur', f, `v${i}`), P.storeAt(g_('rets'), i, P.r(`v${i}`)));
    calls.push({ index: i, fn: 'field', text: currentFieldText(f) });
  }
  body.push(P.field('mypid', P.r('cur'), 'pid'));
  ref('bpf_task_from_pid', P.r('mypid'), 'current->pid');

  const object: BpfObject = {
    name: id, maps: [], subprogs: [],
    globals: [
      { name: g_('rets'), kind: 'u64s', size: FRETS },
      { name: g_('out'), kind: 'bytes', size: FOUT },
      { name: g_('pid'), kind: 'int' },
    ],
    programs: [{ name: id, section: 'lsm/file_open', body: [...pidFilterOps(g_('pid')), ...body, P.label('out'), P.ret(P.imm(0))] }],
  };
  return {
    id, object, calls, state: 'warm',
    rule: 'bpf_task_from_pid / bpf_task_from_vpid / bpf_task_acquire / bpf_task_release (7.2)',
    note: 'an LSM program finds its own task by pid and by vpid (pids 0 and 0x7fffffff: NULL), takes a reference on current, and through the task it found reads 16 bytes of its executable (bpf_get_task_exe_file, a FILE dynptr); every reference released',
  };
}

/**
 * A file's inode on the guest (7.2), read by name (src/model/btf/structs.ts): the opened trigger's
 * `f_inode->i_size` (16 bytes), its `i_ino` read twice, and through `bpf_get_task_exe_file(current)`
 * the executable's `f_inode->i_size` and whether its `i_ino` differs, and that size again after
 * `bpf_put_file` (7.2.13 lets the walked inode outlive the reference). `f_inode` is in
 * `BTF_TYPE_SAFE_TRUSTED(struct file)`, so the walk is trusted in a sleepable program too (`sleepable`).
 */
export function fileInodeCase(sleepable: boolean): FileCase {
  const id = sleepable ? 'file_inode_s' : 'file_inode';
  const rets = `${id}_rets`;
  const { r, imm, NULL, call, field, goto, when, label, mov, storeAt } = P;
  const same = (i: number, a: string, b: string, eq: boolean): Op[] => [
    mov(`v${i}`, imm(eq ? 0 : 1)), goto(`L${i}`, when(a, '!=', r(b))), mov(`v${i}`, imm(eq ? 1 : 0)), label(`L${i}`), storeAt(rets, i, r(`v${i}`)),
  ];
  const body: Op[] = [
    mov('f', P.ctxFile), field('i', r('f'), 'f_inode'), field('sz', r('i'), 'i_size'), storeAt(rets, 0, r('sz')),
    field('ino', r('i'), 'i_ino'), field('i2', r('f'), 'f_inode'), field('ino2', r('i2'), 'i_ino'), ...same(1, 'ino', 'ino2', true),
    call('bpf_get_current_task_btf', [], 'cur'), call('bpf_get_task_exe_file', [r('cur')], 'exe'), goto('no_exe', when('exe', '==', NULL)),
    field('ei', r('exe'), 'f_inode'), field('esz', r('ei'), 'i_size'), storeAt(rets, 2, r('esz')),
    field('eino', r('ei'), 'i_ino'), ...same(3, 'eino', 'ino', false),
    // 7.2.13 keeps the walked inode valid after the file's release (it holds no reference of its own;
    // a bpf-next rule after 7.2.13 invalidates it: verifier_vfs_reject.c f_inode_walk_used_after_put_file).
    call('bpf_put_file', [r('exe')]), field('esz2', r('ei'), 'i_size'), ...same(4, 'esz2', 'esz', true), label('no_exe'),
  ];
  const calls: CallRecord[] = [
    { index: 0, fn: 'field', text: 'file->f_inode->i_size (the trigger)' },
    { index: 1, fn: 'field', text: 'file->f_inode->i_ino read twice: the same' },
    { index: 2, fn: 'field', text: 'bpf_get_task_exe_file(current)->f_inode->i_size' },
    { index: 3, fn: 'field', text: "the executable's i_ino differs from the trigger's" },
    { index: 4, fn: 'field', text: "the executable's inode read again after bpf_put_file: the same i_size (7.2.13 accepts the load)" },
  ];
  const object: BpfObject = {
    name: id, maps: [], subprogs: [],
    globals: [{ name: rets, kind: 'u64s', size: FRETS }, { name: `${id}_pid`, kind: 'int' }],
    programs: [{ name: id, section: sleepable ? 'lsm.s/file_open' : 'lsm/file_open', body: [...pidFilterOps(`${id}_pid`), ...body, P.label('out'), P.ret(P.imm(0))] }],
  };
  return {
    id, object, calls, state: 'warm',
    rule: 'struct file f_inode, struct inode i_ino and i_size read by name (btf/structs.ts)',
    note: `${sleepable ? 'a sleepable' : 'an'} LSM program walks the opened file and the task's executable to their inodes (f_inode is trusted: BTF_TYPE_SAFE_TRUSTED(struct file)) and reads their sizes and numbers, the executable's size again after bpf_put_file (7.2.13 accepts it)`,
  };
}
