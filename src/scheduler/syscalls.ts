/**
 * The syscalls a scenario's tasks make. Each runs in stages so that it can block (a page read, a
 * sleep) and continue later; `stepSyscall` returns whether the syscall finished, blocked, or pushed
 * something to run first (a hook program, a task_work run on a restart).
 */
import { EACCES, EBADF, EINVAL, ENOENT } from '../model/kernel/errno.ts';
import { ArgumentError } from '../model/kernel/errors.ts';
import { MAX_WRITE_LEN, readFileBytes, writeBytes } from '../model/fs/content.ts';
import { adviceOf, fadvise } from '../model/fs/fadvise.ts';
import { isFilemapResume, vfsPread } from '../model/fs/filemap.ts';
import { allocFile, finishOpen, inodeOf, liveFile, putFile } from '../model/fs/files.ts';
import { parseOpenFlags } from '../model/fs/open_flags.ts';
import { Sleep } from '../model/fs/io.ts';
import { FMODE_READ, type FileId, type Inode } from '../model/fs/types.ts';
import { fsync, ftruncate, isTruncateResume, isWriteResume, vfsWrite } from '../model/fs/write.ts';
import { writeLE } from '../model/program/globals.ts';
import type { LoadedObject } from '../model/program/loaded.ts';
import { deleteFromUser, mapByName, mapPutUref, sysGetNextKey, updateFromUser, userValueSize, BPF_ANY } from '../model/maps/maps.ts';
import { userWrite } from '../model/helpers/user.ts';
import { ringbufConsume } from '../model/ringbuf/ring.ts';
import type { Syscall, Task } from '../model/task/types.ts';
import type { TaskRecord } from '../model/task/record.ts';
import { describeSyscall } from '../model/task/describe.ts';
import { newPacket, testRunBytes } from '../model/packet/create.ts';
import { testRunOut } from '../model/packet/run.ts';
import { isSkbProgType, type SkbProgType } from '../model/packet/types.ts';
import { emit, emitTask, emitTimerSleep, withContext, type CallContext, type Kern } from '../model/world/world.ts';
import { taskWorkAdd } from '../task_work/queue.ts';

import { BLOCKED, done, PUSHED, pushHookProgram, restart, type SyscallActivity, type SyscallStep } from './stage.ts';
import { fork, waitChild } from './fork.ts';

export type { SyscallStep } from './stage.ts';

/** A global of the loaded objects, by name (the first object that has it: world/names.ts). */
function findGlobal(k: Kern, name: string): { obj: number } | null {
  const obj = k.t.named('global', name)[0];
  return obj === undefined ? null : { obj };
}

/** The hooks `nanosleep` fires, in order: `sys_enter_nanosleep`, then the fentry of `__x64_sys_nanosleep`. */
const NANOSLEEP_HOOKS = ['tp/syscalls/sys_enter_nanosleep', 'fentry/sys_nanosleep'];

/** Write `value` into the integer global `name` (4 or 8 bytes, as it is declared). */
function setIntGlobal(k: Kern, name: string, value: bigint): void {
  const where = findGlobal(k, name);
  const obj = where === null ? undefined : k.t.object(where.obj);
  const old = obj?.globals.get(name);
  if (obj === undefined || old === undefined) throw new ArgumentError('global', name, 'a global of a loaded object');
  const next = new Uint8Array(old.length);
  writeLE(next, 0, Math.min(8, next.length), BigInt.asUintN(64, value));
  obj.globals.set(name, next);
}

/**
 * `bpf(BPF_PROG_TEST_RUN)` (net/bpf/test_run.c). Stage 0 builds the context — for a packet program
 * the skb or xdp_buff from `data_in` and `ctx_in` (`bpf_prog_test_run_skb`/`_xdp`: a bad input is
 * the syscall's errno and the program does not run) — and pushes the program; stage 1 copies out
 * `data_out` (`bpf_test_finish`: a buffer smaller than the packet gets its first bytes and -ENOSPC),
 * then frees the skb: `kfree_skb` fires the `tp_btf/kfree_skb` programs (stage 2 runs them); the
 * result is the program's return value.
 */
function testRun(k: Kern, kk: Kern, task: TaskRecord, act: SyscallActivity, sys: Extract<Syscall, { sys: 'prog_test_run' }>): SyscallStep {
  if (act.stage === 2) {
    if (act.packet !== undefined && pushHookProgram(k, task, act, ['tp_btf/kfree_skb'], [{ ptr: 'skb', packet: act.packet }, 0n, 0n, 0n])) return PUSHED;
    return done(kk, act.scratch);
  }
  // The program of that name of the first object that has one (world/names.ts).
  const obj = k.t.named('prog', sys.prog)[0];
  const prog = obj === undefined ? undefined : k.t.objects.get(obj)?.progs.get(sys.prog);
  const lp = prog === undefined ? undefined : k.cold.progs.get(prog);
  if (lp === undefined) return done(kk, -ENOENT);
  if (act.stage === 1) {
    const pkt = act.packet ?? null;
    let err = 0;
    let sizeOut = 0;
    let retval = act.scratch;
    if (pkt !== null) {
      let target: { obj: ReturnType<Kern['t']['object']>; old: Uint8Array } | null = null;
      if (sys.dataOut !== undefined) {
        const where = findGlobal(k, sys.dataOut);
        const obj = where === null ? undefined : k.t.object(where.obj);
        const old = obj?.globals.get(sys.dataOut);
        if (obj === undefined || old === undefined) throw new ArgumentError('dataOut', sys.dataOut, 'a byte-array global of a loaded object (data_out)');
        target = { obj, old };
      }
      // data_size_out is the size of the dataOut global (no buffer, no hint: the whole packet).
      const out = testRunOut(kk, pkt, target?.old.length ?? 0);
      err = out.err;
      sizeOut = out.reported ? out.size : (target?.old.length ?? 0);
      if (!out.reported) retval = 0;
      if (target !== null) {
        const next = target.old.slice();
        next.set(out.data.subarray(0, next.length));
        target.obj?.globals.set(sys.dataOut as string, next);
      }
    }
    if (sys.err !== undefined) setIntGlobal(k, sys.err, BigInt(err));
    if (sys.sizeOut !== undefined) setIntGlobal(k, sys.sizeOut, BigInt(sizeOut));
    emit(k, { kind: 'test_run', t: k.t.now, pid: task.pid, prog: sys.prog, packet: pkt, err, retval, sizeOut });
    const kind = pkt === null ? undefined : k.t.packets.get(pkt)?.kind;
    if (kind !== 'skb') return done(kk, act.scratch);
    act.stage = 2;
    act.hooks = 0;
    return testRun(k, kk, task, act, sys);
  }
  // The context the program type's test_run builds.
  const fail = (err: number): SyscallStep => {
    if (sys.err !== undefined) setIntGlobal(k, sys.err, BigInt(err));
    emit(k, { kind: 'test_run', t: k.t.now, pid: task.pid, prog: sys.prog, packet: null, err, retval: 0, sizeOut: 0 });
    return done(kk, err);
  };
  let ctxPacket: number | undefined;
  if (isSkbProgType(lp.type) || lp.type === 'XDP') {
    const data = sys.data === undefined ? new Uint8Array(0) : testRunBytes(sys.data);
    const id = lp.type === 'XDP'
      ? newPacket(kk, { kind: 'xdp', data, ...(sys.ctx?.data === undefined ? {} : { meta: sys.ctx.data }), ...(sys.ctx?.dataEnd === undefined ? {} : { linear: sys.ctx.dataEnd }) })
      : newPacket(kk, { kind: 'skb', data, progType: lp.type as SkbProgType, ...(sys.ctx?.dataEnd === undefined ? {} : { linear: sys.ctx.dataEnd }) });
    if (id < 0) return fail(id);
    ctxPacket = id;
  } else if (sys.data !== undefined || sys.ctx !== undefined || sys.dataOut !== undefined) {
    // bpf_prog_test_run_syscall / _raw_tp / _tracing take no data_in, data_out or ctx of this kind.
    return fail(-EINVAL);
  }
  act.stage = 1;
  if (ctxPacket !== undefined) act.packet = ctxPacket;
  task.pushActivity({
    a: 'prog', started: false,
    frame: {
      id: k.t.nextId('frame'), prog: lp.id, fn: lp.name, callback: false, pc: 0, regs: ctxPacket === undefined ? {} : { r1: { ptr: 'ctx' } }, resume: null,
      sleepable: lp.sleepable, ctxFile: null, twCtx: null, ...(ctxPacket === undefined ? {} : { ctxPacket }),
    },
  });
  return PUSHED;
}

/** A task running kernel code of its own (syscalls, task_work, exit): it may sleep. */
export function taskContext(task: Task): CallContext {
  return new TaskContext(task.pid);
}

/**
 * The context of a call in task `task` (syscall context: sleepable); its trace label is made when
 * read. A new one per use: a small object that dies young costs less than keeping one per task, which
 * a step over many tasks finds out of the cache (bench/README.md, the scheduler).
 */
class TaskContext implements CallContext {
  readonly sleepable = true;
  constructor(readonly task: number) {}
  get label(): string {
    return `pid ${this.task}`;
  }
}

/**
 * Run the programs attached to `hook` (an LSM hook with a file argument), one per stage, in the order
 * the hook's list holds them (newest first: a trampoline's), stopping at the first error one returns.
 * True when a program was pushed to run first.
 */
function runHooks(k: Kern, task: TaskRecord, act: SyscallActivity, hook: string, file: FileId): boolean {
  const hooks = k.cold.hooks.get(hook) ?? [];
  if (act.stage >= hooks.length || act.ret !== null) return false;
  const prog = hooks[act.stage] as number;
  act.stage += 1;
  const lp = k.cold.progs.get(prog);
  if (lp === undefined) return true;
  task.pushActivity({
    a: 'prog', started: false,
    frame: { id: k.t.nextId('frame'), prog, fn: lp.name, callback: false, pc: 0, regs: { r1: { ptr: 'file', file } }, resume: null, sleepable: lp.sleepable, ctxFile: file, twCtx: null },
  });
  return true;
}

/** Block the task on the folio a read, write or truncation waits for; it continues with `resume`. */
function sleepOn(k: Kern, task: TaskRecord, act: SyscallActivity, r: Sleep, resume: unknown): SyscallStep {
  act.resume = resume;
  task.state = 'io_wait';
  task.wait = { kind: 'page', ino: r.wait.ino, pgoff: r.wait.pgoff };
  emitTask(k, task.pid, 'sleep', `io_wait on ino ${r.wait.ino} page ${r.wait.pgoff} in ${describeSyscall(act.sys)}`);
  return BLOCKED;
}

/**
 * A piece of a read: `n` bytes of the file at `pos`, for the global at `at`. It keeps the inode's
 * content, overlay and size as they were when the bytes were copied (immutable values of the world),
 * not a copy of the bytes: the bytes are the same, the copy is made once when the read ends, and the
 * explorer's state key names the piece without hashing a page of bytes on every step.
 */
interface ReadPiece {
  readonly at: number;
  readonly pos: bigint;
  readonly n: number;
  readonly content: Inode['content'];
  readonly overlay: Inode['overlay'];
  readonly size: bigint;
}

/** The byte-array global `name` and the object (this transition's copy) that holds it, or null. */
function byteGlobal(k: Kern, name: string): { obj: LoadedObject; bytes: Uint8Array } | null {
  const where = findGlobal(k, name);
  const obj = where === null ? undefined : k.t.object(where.obj);
  const bytes = obj?.globals.get(name);
  return obj !== undefined && bytes instanceof Uint8Array ? { obj, bytes } : null;
}

/** A sink that keeps nothing (a read whose bytes go nowhere). */
function discard(): void {}

/** Copy the pieces a read collected into the byte-array global `name` (bytes past its end are dropped). */
function storeInto(k: Kern, name: string, pieces: readonly ReadPiece[]): void {
  const g = byteGlobal(k, name);
  if (g === null) return;
  const next = g.bytes.slice();
  for (const p of pieces) {
    const n = Math.min(p.n, next.length - p.at);
    if (n > 0) readFileBytes(p.content, p.overlay, p.size, p.pos, next, p.at, n);
  }
  g.obj.globals.set(name, next);
}

/** One stage of the syscall on top of `task`'s stack. */
export function stepSyscall(k: Kern, task: TaskRecord, act: SyscallActivity): SyscallStep {
  const sys = act.sys;
  const kk = withContext(k, taskContext(task));
  switch (sys.sys) {
    case 'open': {
      // Stage 0: the struct file exists (fs/open.c do_dentry_open) and security_file_open runs the
      // attached programs in order; FMODE_OPENED / FMODE_CAN_READ and f_ra come after it returns.
      if (act.stage === 0) {
        if (task.fds.has(sys.fd)) throw new ArgumentError('fd', sys.fd, 'an fd name not in use (close it first)');
        act.scratch = allocFile(kk, sys.path, parseOpenFlags(sys.flags));
      }
      const file = act.scratch;
      if (runHooks(k, task, act, 'lsm/file_open', file)) return PUSHED;
      if (act.ret !== null && act.ret !== 0n) {
        putFile(kk, file);
        return done(kk, act.ret);
      }
      finishOpen(kk, file);
      task.ownFds().set(sys.fd, file);
      return done(kk, 2 + task.fds.size);
    }
    case 'read': {
      const fileId = task.fds.get(sys.fd);
      if (fileId === undefined) return done(kk, -EBADF);
      // vfs_read → filemap_read. The bytes go to the `into` global, copied once when the call ends.
      const prior = (act.resume as { read?: unknown } | undefined)?.read;
      // Only the bytes that fit in the global are kept (a read longer than it is cut at its size):
      // without room for any (no `into`), nothing is collected.
      const room = sys.into === undefined ? 0 : (byteGlobal(k, sys.into)?.bytes.length ?? 0);
      const pieces: ReadPiece[] = room === 0 ? [] : [...((act.resume as { pieces?: ReadPiece[] } | undefined)?.pieces ?? [])];
      const sink = room === 0 ? discard : (pos: bigint, n: number, at: number): void => {
        const fit = Math.max(0, Math.min(n, room - at));
        if (fit === 0) return;
        const inode = inodeOf(kk, liveFile(kk, fileId).ino);
        pieces.push({ at, pos, n: fit, content: inode.content, overlay: inode.overlay, size: inode.size });
      };
      const r = vfsPread(kk, fileId, BigInt(sys.offset), sys.len, sink, isFilemapResume(prior) ? prior : undefined);
      if (r instanceof Sleep) return sleepOn(k, task, act, r, { read: r.resume, pieces });
      act.resume = undefined;
      if (sys.into !== undefined && pieces.length > 0) storeInto(k, sys.into, pieces);
      return done(kk, r);
    }
    case 'write': {
      const fileId = task.fds.get(sys.fd);
      if (fileId === undefined) return done(kk, -EBADF);
      if (!Number.isSafeInteger(sys.len) || sys.len < 0 || sys.len > MAX_WRITE_LEN) throw new ArgumentError('len', sys.len, `a write length in [0, ${MAX_WRITE_LEN}]`);
      const data = writeBytes(sys.len, sys.fill ?? 0);
      const r = vfsWrite(kk, fileId, sys.offset === undefined ? null : BigInt(sys.offset), data, isWriteResume(act.resume) ? act.resume : undefined);
      if (r instanceof Sleep) return sleepOn(k, task, act, r, r.resume);
      act.resume = undefined;
      return done(kk, r);
    }
    case 'ftruncate': {
      const fileId = task.fds.get(sys.fd);
      if (fileId === undefined) return done(kk, -EBADF);
      const r = ftruncate(kk, fileId, BigInt(sys.length), isTruncateResume(act.resume) ? act.resume : undefined);
      if (r instanceof Sleep) return sleepOn(k, task, act, r, r.resume);
      act.resume = undefined;
      return done(kk, r);
    }
    case 'fsync': {
      const fileId = task.fds.get(sys.fd);
      if (fileId === undefined) return done(kk, -EBADF);
      return done(kk, fsync(kk, fileId));
    }
    case 'fadvise': {
      const fileId = task.fds.get(sys.fd);
      if (fileId === undefined) return done(kk, -EBADF);
      return done(kk, fadvise(kk, fileId, BigInt(sys.offset), BigInt(sys.len), adviceOf(sys.advice)));
    }
    case 'mmap': {
      // vm_mmap_pgoff: security_mmap_file runs the lsm/mmap_file programs first; then do_mmap refuses a
      // file not open for reading (-EACCES). The mapping itself is not modelled (nothing is faulted in).
      const fileId = task.fds.get(sys.fd);
      if (fileId === undefined) return done(kk, -EBADF);
      if (runHooks(k, task, act, 'lsm/mmap_file', fileId)) return PUSHED;
      if (act.ret !== null && act.ret !== 0n) return done(kk, act.ret);
      return done(kk, (liveFile(kk, fileId).fmode & FMODE_READ) === 0 ? -EACCES : 0);
    }
    case 'close': {
      const fileId = task.fds.get(sys.fd);
      if (fileId === undefined) return done(kk, -EBADF);
      task.closeFd(sys.fd);
      putFile(kk, fileId);
      return done(kk, 0);
    }
    case 'fadvise_dontneed': {
      const fileId = task.fds.get(sys.fd);
      if (fileId === undefined) return done(kk, -EBADF);
      return done(kk, fadvise(kk, fileId, 0n, 0n, 'POSIX_FADV_DONTNEED'));
    }
    case 'sleep': {
      // Stages: 0 first entry; 1 asleep (now woken: by the timer, or by TIF_NOTIFY_SIGNAL);
      // 2 back from the task_work run of a restart. A signal wake (or a signal already pending when
      // the sleep would start) makes the syscall return -ERESTART_RESTARTBLOCK with no real signal:
      // the task_work runs on the way out and the sleep restarts for the time left.
      // On entry, the programs attached to the syscall's tracepoint and to the fentry of its
      // handler run first (`usleep` is the selftests' trigger for them).
      if (act.stage === 0 && pushHookProgram(k, task, act, NANOSLEEP_HOOKS)) return PUSHED;
      if (act.stage === 0) act.scratch = k.t.now + sys.ticks;
      if (act.stage === 1 && k.t.now >= act.scratch) return done(kk, 0);
      if (act.stage === 1 || (act.stage !== 1 && task.notifySignal)) {
        act.stage = 2;
        return restart(k, task, act);
      }
      act.stage = 1;
      task.state = 'interruptible';
      task.wait = { kind: 'timer', until: act.scratch };
      emitTimerSleep(k, task.pid, act.scratch);
      return BLOCKED;
    }
    case 'set_global': {
      const where = findGlobal(k, sys.global);
      const obj = where === null ? undefined : k.t.object(where.obj);
      if (obj === undefined) return done(kk, -ENOENT);
      const old = obj.globals.get(sys.global);
      if (old === undefined) return done(kk, -ENOENT);
      const next = new Uint8Array(old.length);
      writeLE(next, 0, Math.min(8, next.length), sys.value === 'pid' ? BigInt(task.pid) : BigInt(sys.value));
      obj.globals.set(sys.global, next);
      return done(kk, 0);
    }
    case 'map_update': {
      // User space's update with a value of zeros: a per-CPU map's every CPU's copy (bpf_percpu_*_update).
      const m = mapByName(kk, sys.map);
      const ret = updateFromUser(kk, m.id, sys.key, new Uint8Array(userValueSize(kk, m)), BPF_ANY);
      emit(k, { kind: 'map', t: k.t.now, op: 'update', map: sys.map, key: sys.key, ret });
      return done(kk, ret);
    }
    case 'map_delete': {
      const m = mapByName(kk, sys.map);
      const ret = deleteFromUser(kk, m.id, sys.key);
      emit(k, { kind: 'map', t: k.t.now, op: 'delete', map: sys.map, key: sys.key, ret });
      return done(kk, ret);
    }
    case 'map_close': {
      mapPutUref(kk, mapByName(kk, sys.map).id);
      return done(kk, 0);
    }
    case 'map_get_next_key': {
      const next = sysGetNextKey(kk, mapByName(kk, sys.map).id, sys.key ?? null);
      if (next >= 0 && sys.into !== undefined) setIntGlobal(k, sys.into, BigInt(next));
      return done(kk, next >= 0 ? 0 : next);
    }
    case 'task_work_add': {
      const fn = sys.then === undefined ? { kind: 'note' as const, label: sys.label } : { kind: 'note' as const, label: sys.label, then: sys.then };
      return done(kk, taskWorkAdd(kk, task.pid, fn, sys.mode).ret);
    }
    case 'user_write':
      userWrite(k, task.pid, BigInt(sys.addr), new Uint8Array([...new TextEncoder().encode(sys.text), 0]));
      return done(kk, 0);
    case 'prog_test_run':
      return testRun(k, kk, task, act, sys);
    case 'ringbuf_consume': {
      const records = ringbufConsume(kk, mapByName(kk, sys.map).id);
      const where = sys.into === undefined ? null : findGlobal(k, sys.into);
      const obj = where === null ? undefined : k.t.object(where.obj);
      const old = sys.into === undefined ? undefined : obj?.globals.get(sys.into);
      if (obj !== undefined && sys.into !== undefined && old instanceof Uint8Array) {
        const next = old.slice();
        let at = 0;
        for (const r of records) {
          if (at >= next.length) break;
          next.set(r.data.subarray(0, next.length - at), at);
          at += r.data.length;
        }
        obj.globals.set(sys.into, next);
      }
      return done(kk, records.length);
    }
    case 'fork':
      return fork(k, kk, task, act, sys);
    case 'wait':
      return waitChild(k, kk, task, act);
    case 'exit':
      task.popActivity();
      task.pushActivity({ a: 'do_exit', stage: 0 });
      return PUSHED;
  }
}
