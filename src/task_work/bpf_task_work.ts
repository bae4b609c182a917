/**
 * BPF task_work (kernel/bpf/helpers.c: `bpf_task_work_schedule`, `bpf_task_work_acquire_ctx`,
 * `bpf_task_work_irq`, `bpf_task_work_callback`, `bpf_task_work_cancel_and_free`,
 * `bpf_task_work_cancel_scheduled`, `bpf_task_work_ctx_put`, `bpf_task_work_ctx_reset`).
 *
 * A map value's `struct bpf_task_work` points at a context with a state:
 *   STANDBY → PENDING → SCHEDULING → SCHEDULED → RUNNING → STANDBY; SCHEDULING → RUNNING;
 *   any → FREED (terminal for that context).
 * The context has a reference count: 1 for the map value while attached, 1 more for a scheduled
 * callback. The schedule kfunc only queues an irq_work; the irq_work adds the task_work; the target
 * task runs the callback on its way to user mode. Each transition below is one atomic step of the
 * model (a valid linearization of the kernel's compare-and-exchange steps).
 */
import { EBADF, EBUSY, ENOMEM } from '../model/kernel/errno.ts';
import { KernsimError } from '../model/kernel/errors.ts';
import { allocate } from '../model/world/faults.ts';
import { mapOf, twSlot } from '../model/maps/maps.ts';
import { ownTask } from '../model/task/task.ts';
import type { TwRef } from '../model/kfunc/kfunc.ts';
import type { MapId } from '../model/maps/types.ts';
import type { Pid, TwCtx, TwState, TwaMode } from '../model/task/types.ts';
import { emit, type Kern } from '../model/world/world.ts';
import { taskWorkAdd, taskWorkCancel } from './queue.ts';

function ctxOf(k: Kern, id: number): TwCtx {
  const c = k.s.twctx.get(id);
  if (c === undefined) throw new KernsimError(`no bpf_task_work ctx #${id}`);
  return c;
}

function move(k: Kern, c: TwCtx, to: TwState, why: string): void {
  const from = c.state;
  c.state = to;
  emit(k, { kind: 'bpf_tw', t: k.t.now, ctx: c.id, from, to, why, refcnt: c.refcnt });
}

/** `bpf_task_work_ctx_reset`: drop the program and task references the context holds. */
function ctxReset(k: Kern, c: TwCtx): void {
  if (c.prog !== null) {
    const p = k.s.progs.get(c.prog);
    if (p !== undefined) p.refs -= 1;
    c.prog = null;
  }
  if (c.task !== null) {
    const t = k.t.task(c.task);
    if (t !== undefined) t.usage -= 1;
    c.task = null;
  }
}

/** `bpf_task_work_ctx_put`: at zero, reset and free the context. */
function ctxPut(k: Kern, c: TwCtx, why: string): void {
  if (c.refcnt <= 0) throw new KernsimError(`bpf_task_work ctx #${c.id}: put below zero`);
  c.refcnt -= 1;
  if (c.refcnt === 0) {
    ctxReset(k, c);
    c.freed = true;
    emit(k, { kind: 'bpf_tw', t: k.t.now, ctx: c.id, from: c.state, to: c.state, why: `${why}; last reference: ctx freed`, refcnt: 0 });
  }
}

/**
 * `bpf_task_work_schedule`: the body of both kfuncs. Errors in the kernel's order: the program
 * going away (-EBADF), the task going away (-EBADF), allocation (-ENOMEM), the context being freed
 * or the slot not STANDBY (-EBUSY), the map without user references (-EBUSY, and the slot's context
 * is cancelled and freed). 0 only means the irq_work was queued.
 */
export function scheduleTaskWork(k: Kern, task: Pid, tw: TwRef, map: MapId, callback: string, mode: TwaMode): number {
  const prog = k.ctx.prog === undefined ? undefined : k.s.progs.get(k.ctx.prog);
  if (prog === undefined || prog.refs === 0) return -EBADF;
  const t = k.t.tasks.get(task);
  // bpf_task_acquire: refcount_inc_not_zero(&task->rcu_users). A reaped task's rcu_users is 0
  // unless a pending task_work context still holds a reference on it.
  if (t === undefined || (t.reaped && t.usage === 0)) return -EBADF;
  const elem = twSlot(k, tw.map, tw.key);
  if (elem.tw === null) {
    if (!allocate(k)) return -ENOMEM;
    const id = k.t.nextId('twctx');
    k.s.twctx.set(id, { id, state: 'STANDBY', refcnt: 1, freed: false, map: tw.map, key: tw.key, prog: null, task: null, mode, callback: null, work: null });
    elem.tw = id;
    emit(k, { kind: 'bpf_tw', t: k.t.now, ctx: id, from: '-', to: 'STANDBY', why: 'first use: ctx allocated', refcnt: 1 });
  }
  const c = ctxOf(k, elem.tw);
  if (c.refcnt === 0) return -EBUSY;
  c.refcnt += 1;
  if (c.state !== 'STANDBY') {
    c.refcnt -= 1;
    return -EBUSY;
  }
  move(k, c, 'PENDING', 'schedule');
  if (mapOf(k, map).usercnt === 0) {
    ctxPut(k, c, 'map has no user references');
    elem.tw = null;
    cancelAndFree(k, c.id);
    return -EBUSY;
  }
  prog.refs += 1;
  ownTask(k, task).usage += 1;
  c.prog = prog.id;
  c.task = task;
  c.callback = callback;
  c.mode = mode;
  c.map = map;
  const irq = { id: k.t.nextId('irq'), kind: 'bpf_task_work_irq' as const, ctx: c.id };
  k.t.pushIrq(irq);
  emit(k, { kind: 'irq_work', t: k.t.now, op: 'queue', work: `bpf_task_work_irq(ctx#${c.id})` });
  return 0;
}

/** `bpf_task_work_irq`: PENDING → SCHEDULING, then `task_work_add` on the target. */
export function taskWorkIrq(k: Kern, ctx: number): void {
  const c = ctxOf(k, ctx);
  if (c.state !== 'PENDING') {
    ctxPut(k, c, 'irq_work found the ctx freed');
    return;
  }
  move(k, c, 'SCHEDULING', 'irq_work');
  if (c.task === null) throw new KernsimError(`bpf_task_work ctx #${ctx} scheduled without a task`);
  const { ret, work } = taskWorkAdd(k, c.task, { kind: 'bpf_task_work', ctx }, c.mode);
  if (ret !== 0 || work === null) {
    // The target is past its final task_work_run: the work is dropped silently.
    ctxReset(k, c);
    move(k, c, 'STANDBY', 'task_work_add failed: target exited, dropped silently');
    ctxPut(k, c, 'dropped');
    return;
  }
  c.work = work.id;
  move(k, c, 'SCHEDULED', 'task_work added');
}

/** Start of `bpf_task_work_callback`: true when the BPF callback is to run (state now RUNNING). */
export function callbackStart(k: Kern, ctx: number): boolean {
  const c = ctxOf(k, ctx);
  if (c.state === 'SCHEDULING' || c.state === 'SCHEDULED') {
    c.work = null;
    move(k, c, 'RUNNING', 'callback starts');
    return true;
  }
  ctxPut(k, c, 'callback found the ctx freed: not invoked');
  return false;
}

/** End of `bpf_task_work_callback`: the return value is ignored; RUNNING → STANDBY. */
export function callbackDone(k: Kern, ctx: number): void {
  const c = ctxOf(k, ctx);
  ctxReset(k, c);
  if (c.state === 'RUNNING') move(k, c, 'STANDBY', 'callback done');
  ctxPut(k, c, 'callback done');
}

/**
 * `bpf_task_work_cancel_and_free`, after the map detached the context from its value: the state
 * becomes FREED. A SCHEDULED work is cancelled from an irq_work (`bpf_task_work_cancel_scheduled`);
 * otherwise the map's reference is dropped now and whoever holds the callback's drops the other.
 */
export function cancelAndFree(k: Kern, ctx: number): void {
  const c = ctxOf(k, ctx);
  const prev = c.state;
  move(k, c, 'FREED', 'map value freed');
  if (prev === 'SCHEDULED') {
    k.t.pushIrq({ id: k.t.nextId('irq'), kind: 'bpf_task_work_cancel_scheduled', ctx });
    emit(k, { kind: 'irq_work', t: k.t.now, op: 'queue', work: `bpf_task_work_cancel_scheduled(ctx#${ctx})` });
    return;
  }
  ctxPut(k, c, 'map reference dropped');
}

/** `bpf_task_work_cancel_scheduled`: cancel the queued work (dropping the callback's reference), then the map's. */
export function cancelScheduledIrq(k: Kern, ctx: number): void {
  const c = ctxOf(k, ctx);
  if (c.task !== null && c.work !== null && taskWorkCancel(k, c.task, c.work)) {
    c.work = null;
    ctxPut(k, c, 'task_work cancelled');
  }
  ctxPut(k, c, 'map reference dropped');
}
