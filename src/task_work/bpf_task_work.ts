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
import { ArgumentError, KernelBugError, KernsimError } from '../model/kernel/errors.ts';
import { allocate } from '../model/world/faults.ts';
import { mapOf, twSlot } from '../model/maps/maps.ts';
import { ownTask, rcuUsers } from '../model/task/task.ts';
import { Preempt, type TwRef } from '../model/kfunc/kfunc.ts';
import type { MapId } from '../model/maps/types.ts';
import type { Pid, TwCtx, TwState, TwaMode } from '../model/task/types.ts';
import type { TwTransition } from '../model/world/trace.ts';
import { emit, type Kern } from '../model/world/world.ts';
import { taskWorkAdd, taskWorkCancel } from './queue.ts';

function ctxOf(k: Kern, id: number): TwCtx {
  const c = k.s.twctx.get(id);
  if (c === undefined) throw new KernsimError(`no bpf_task_work ctx #${id}`);
  return c;
}

function move(k: Kern, c: TwCtx, to: TwState, why: string, tr: TwTransition): void {
  const from = c.state;
  c.state = to;
  emit(k, { kind: 'bpf_tw', t: k.t.now, ctx: c.id, from, to, why, refcnt: c.refcnt, tr });
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

/**
 * `bpf_task_work_ctx_put`: at zero, `bpf_task_work_destroy` resets and frees the context. `tr`: the
 * transition that puts; `irqsOff`: the put runs in an irq_work handler (interrupts disabled), where
 * 7.x queues the destroy as an irq_work of its own (`twDestroyDeferred`): until it runs, the context
 * keeps its program and task references, and no one can take a new one (the count is 0).
 */
function ctxPut(k: Kern, c: TwCtx, why: string, tr: TwTransition, irqsOff = false): void {
  if (c.refcnt <= 0) throw new KernsimError(`bpf_task_work ctx #${c.id}: put below zero`);
  c.refcnt -= 1;
  if (c.refcnt !== 0) return;
  if (irqsOff && k.features.twDestroyDeferred) {
    emit(k, { kind: 'bpf_tw', t: k.t.now, ctx: c.id, from: c.state, to: c.state, why: `${why}; last reference with interrupts disabled: destroy deferred to irq_work`, refcnt: 0, tr });
    k.t.pushIrq({ id: k.t.nextId('irq'), kind: 'bpf_task_work_destroy', ctx: c.id });
    emit(k, { kind: 'irq_work', t: k.t.now, op: 'queue', work: `bpf_task_work_destroy(ctx#${c.id})` });
    return;
  }
  destroy(k, c, `${why}; last reference: ctx freed`, tr);
}

/** `bpf_task_work_destroy`: drop the context's program and task references and free it. */
function destroy(k: Kern, c: TwCtx, why: string, tr?: TwTransition): void {
  ctxReset(k, c);
  c.freed = true;
  const ev = { kind: 'bpf_tw', t: k.t.now, ctx: c.id, from: c.state, to: c.state, why, refcnt: 0 } as const;
  emit(k, tr === undefined ? ev : { ...ev, tr });
}

/** The irq_work `bpf_task_work_destroy` queued by a last put with interrupts disabled (7.x). */
export function destroyIrq(k: Kern, ctx: number): void {
  const c = ctxOf(k, ctx);
  if (c.refcnt !== 0 || c.freed) throw new KernsimError(`bpf_task_work ctx #${ctx}: destroy with refcnt ${c.refcnt}${c.freed ? ', already freed' : ''}`);
  destroy(k, c, 'bpf_task_work_destroy: ctx freed');
}

/**
 * `bpf_task_work_schedule`: the body of both kfuncs. Errors in the kernel's order: the program
 * going away (-EBADF), the task going away (-EBADF), allocation (-ENOMEM), the context being freed
 * or the slot not STANDBY (-EBUSY), the map without user references (-EBUSY, and the slot's context
 * is cancelled and freed). 0 only means the irq_work was queued.
 */
export function scheduleTaskWork(k: Kern, task: Pid, tw: TwRef, map: MapId, callback: string, mode: TwaMode): number | Preempt {
  const prog = k.ctx.prog === undefined ? undefined : k.s.progs.get(k.ctx.prog);
  if (prog === undefined || prog.refs === 0) return -EBADF;
  const t = k.t.tasks.get(task);
  // bpf_task_acquire: refcount_inc_not_zero(&task->rcu_users) (task.ts `rcuUsers`); the reference is
  // taken below, once the context is ours.
  if (t === undefined || rcuUsers(t) === 0) return -EBADF;
  // A map argument no verified program passes (check_kfunc_args refuses another map with a
  // bpf_task_work and oopses on one without special fields): only the API gets here with it.
  if (map !== tw.map) {
    const fields = mapOf(k, map).layout.fields;
    if (fields.some((f) => f.kind === 'task_work') || !fields.some((f) => f.kind === 'kptr')) {
      throw new ArgumentError('map__map', map, `the bpf_task_work's map #${tw.map} (the verifier refuses another map with a bpf_task_work, and oopses on a map without special fields: docs/task_work.md, Q3)`);
    }
  }
  if (k.resume !== undefined) return scheduleAcquired(k, (k.resume as { ctx: number }).ctx, task, tw, map, callback, mode, prog.id);
  const slot = tw.slot ?? -1;
  const elem = twSlot(k, tw.map, slot);
  if (elem.tw === null) {
    if (!allocate(k)) return -ENOMEM;
    const id = k.t.nextId('twctx');
    k.s.twctx.set(id, { id, state: 'STANDBY', refcnt: 1, freed: false, map: tw.map, slot, prog: null, task: null, mode, callback: null, work: null });
    elem.tw = id;
    emit(k, { kind: 'bpf_tw', t: k.t.now, ctx: id, from: '-', to: 'STANDBY', why: 'first use: ctx allocated', refcnt: 1, tr: 'T0' });
  }
  const c = ctxOf(k, elem.tw);
  if (c.refcnt === 0) return -EBUSY;
  c.refcnt += 1;
  // On a machine of several CPUs, another CPU may free the slot (T9) between bpf_task_work_acquire_ctx's
  // read of tw->ctx with its reference and the STANDBY → PENDING exchange: the call stops here when
  // the scheduler asks (an smp `call` action) and goes on in scheduleAcquired.
  if (k.t.preempt) return new Preempt({ ctx: c.id });
  return scheduleAcquired(k, c.id, task, tw, map, callback, mode, prog.id);
}

/**
 * The rest of `bpf_task_work_schedule` once the callback's reference on context `ctx` is taken: the
 * STANDBY → PENDING exchange (anything else, FREED by a T9 that came in between included, is -EBUSY
 * and drops that reference — the last one when T9 dropped the map's: the context is freed), the
 * usercnt policy, and the irq_work.
 */
function scheduleAcquired(k: Kern, ctx: number, task: Pid, tw: TwRef, map: MapId, callback: string, mode: TwaMode, progId: number): number {
  const c = ctxOf(k, ctx);
  const prog = k.s.progs.get(progId);
  if (prog === undefined) throw new KernsimError(`program #${progId} is not loaded`);
  if (c.state !== 'STANDBY') {
    if (c.refcnt === 1 || c.state === 'FREED') ctxPut(k, c, 'schedule lost the race for the slot', 'T1x');
    else c.refcnt -= 1;
    return -EBUSY;
  }
  move(k, c, 'PENDING', 'schedule', 'T1');
  if (mapOf(k, map).usercnt === 0) {
    ctxPut(k, c, 'map has no user references', 'T1');
    // bpf_task_work_cancel_and_free(tw): detach the slot's context (unless another CPU did).
    const mem = mapOf(k, tw.map).slots.get(tw.slot ?? -1);
    if (mem !== undefined && mem.tw === c.id) {
      mem.tw = null;
      cancelAndFree(k, c.id);
    }
    return -EBUSY;
  }
  // ctx->map_val = (void *)tw - map->record->task_work_off: the map argument's offset. The verifier
  // lets another map through when its record has neither a task_work nor a workqueue field
  // (btf/object.ts `recordError`), whose task_work_off is -EINVAL.
  if (map !== tw.map) {
    const other = mapOf(k, map).name;
    throw new KernelBugError('bpf_task_work_schedule', `map__map is map '${other}', not the bpf_task_work's map '${mapOf(k, tw.map).name}' (check_kfunc_args compares them only when '${other}' has a task_work or workqueue field): ctx->map_val = tw - ${other}'s record->task_work_off (-EINVAL) points 22 bytes past the bpf_task_work, and the callback gets that address as its value of map '${other}'`);
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

/**
 * Where a `bpf_task_work_irq` handler may stop for another CPU to run (a machine of several CPUs):
 * after the PENDING → SCHEDULING exchange (`T2`), or after `task_work_add` (`add`), before the
 * SCHEDULING → SCHEDULED exchange. The rest of the handler stays at the head of the irq_work queue.
 */
export type IrqStop = 'T2' | 'add';

/**
 * `bpf_task_work_irq` from `stage` (0: the start; 1: `task_work_add`; 2: the SCHEDULING → SCHEDULED
 * exchange), to its end or to `stop`. Its three steps are three atomic operations of the kernel's
 * handler; on one CPU (or with no `stop`) they run together, as one step of the model:
 *
 * - T2: exchange PENDING → SCHEDULING; a context found FREED (T9 came first) only drops the callback's
 *   reference (T2x).
 * - `task_work_add(task, &work, mode)`; when it fails (the target is past its final task_work run),
 *   reset the context, exchange SCHEDULING → STANDBY (a FREED context stays FREED) and drop the
 *   callback's reference: the work is gone silently (T3).
 * - T4: exchange SCHEDULING → SCHEDULED. Another CPU may have been quicker: the target may have run
 *   the callback already (the state is RUNNING or back at STANDBY, or a new schedule made it PENDING):
 *   nothing to do; or T9 freed the context (FREED): `bpf_task_work_cancel` unlinks the work if it is
 *   still queued and drops the callback's reference for it. The handler takes no reference of its
 *   own (it relies on RCU): when the callback path already dropped the last one, `ctx->task` is NULL
 *   and the kernel's `task_work_cancel(NULL, …)` dereferences it — a `KernelBugError`.
 */
export function taskWorkIrq(k: Kern, ctx: number, stage: 0 | 1 | 2 = 0, stop: IrqStop | null = null): void {
  const c = ctxOf(k, ctx);
  if (stage === 0) {
    if (c.state !== 'PENDING') {
      ctxPut(k, c, 'irq_work found the ctx freed', 'T2x', true);
      return;
    }
    move(k, c, 'SCHEDULING', 'irq_work', 'T2');
    if (stop === 'T2') {
      k.t.unshiftIrq({ id: k.t.nextId('irq'), kind: 'bpf_task_work_irq', ctx, stage: 1 });
      return;
    }
  }
  if (stage <= 1) {
    if (c.task === null) throw new KernsimError(`bpf_task_work ctx #${ctx} scheduled without a task`);
    const { ret, work } = taskWorkAdd(k, c.task, { kind: 'bpf_task_work', ctx }, c.mode);
    if (ret !== 0 || work === null) {
      // The target is past its final task_work_run: the work is dropped silently.
      ctxReset(k, c);
      if (c.state === 'SCHEDULING') move(k, c, 'STANDBY', 'task_work_add failed: target exited, dropped silently', 'T3');
      ctxPut(k, c, 'dropped', 'T3', true);
      return;
    }
    c.work = work.id;
    if (stop === 'add') {
      k.t.unshiftIrq({ id: k.t.nextId('irq'), kind: 'bpf_task_work_irq', ctx, stage: 2 });
      return;
    }
  }
  if (c.state === 'SCHEDULING') {
    move(k, c, 'SCHEDULED', 'task_work added', 'T4');
    return;
  }
  if (c.state !== 'FREED') {
    // The callback started on the target's CPU before this exchange (SCHEDULING → RUNNING), and may
    // be done (STANDBY) or even scheduled again (PENDING): the exchange fails and changes nothing.
    emit(k, { kind: 'bpf_tw', t: k.t.now, ctx: c.id, from: c.state, to: c.state, why: 'irq_work: the callback started before SCHEDULED; nothing to do', refcnt: c.refcnt, tr: 'T4' });
    return;
  }
  // T9 raced: bpf_task_work_cancel(ctx) = task_work_cancel(ctx->task, &ctx->work).
  if (c.task === null) {
    throw new KernelBugError('bpf_task_work_irq', `ctx#${c.id} is FREED and its last reference was dropped by the callback path (ctx_reset set ctx->task to NULL) before the SCHEDULING → SCHEDULED exchange: bpf_task_work_cancel calls task_work_cancel(NULL, &ctx->work), a NULL dereference`);
  }
  if (c.work !== null && taskWorkCancel(k, c.task, c.work)) {
    c.work = null;
    ctxPut(k, c, 'T9 raced the irq_work: task_work cancelled', 'T4', true);
    return;
  }
  emit(k, { kind: 'bpf_tw', t: k.t.now, ctx: c.id, from: c.state, to: c.state, why: 'irq_work: T9 raced but the work was already taken; the callback path drops the reference', refcnt: c.refcnt, tr: 'T4' });
}

/** Whether the context of a queued `bpf_task_work_irq` could stop at `stop` (a split that changes nothing is not offered). */
export function irqCanStop(world: { readonly twctx: { get(id: number): Readonly<TwCtx> | undefined }; readonly tasks: ReadonlyMap<Pid, { readonly works: { readonly exited: boolean } }> }, ctx: number, stage: 0 | 1 | 2, stop: IrqStop): boolean {
  const c = world.twctx.get(ctx);
  if (c === undefined) return false;
  if (stage === 0 && c.state !== 'PENDING') return false;
  if (stage === 2) return false;
  if (stop === 'T2') return stage === 0;
  // Stopping after task_work_add means something only when the add succeeds.
  const t = c.task === null ? undefined : world.tasks.get(c.task);
  return t !== undefined && !t.works.exited;
}

/** Start of `bpf_task_work_callback`: true when the BPF callback is to run (state now RUNNING). */
export function callbackStart(k: Kern, ctx: number): boolean {
  const c = ctxOf(k, ctx);
  if (c.state === 'SCHEDULING' || c.state === 'SCHEDULED') {
    c.work = null;
    move(k, c, 'RUNNING', 'callback starts', 'T5');
    return true;
  }
  ctxPut(k, c, 'callback found the ctx freed: not invoked', 'T5x');
  return false;
}

/** Whether `bpf_task_work_callback` of context `ctx` would invoke the BPF callback now (T5, not T5x). */
export function callbackWouldRun(c: Readonly<TwCtx> | undefined): boolean {
  return c !== undefined && (c.state === 'SCHEDULING' || c.state === 'SCHEDULED');
}

/** End of `bpf_task_work_callback`: the return value is ignored; RUNNING → STANDBY. */
export function callbackDone(k: Kern, ctx: number): void {
  const c = ctxOf(k, ctx);
  ctxReset(k, c);
  if (c.state === 'RUNNING') move(k, c, 'STANDBY', 'callback done', 'T6');
  ctxPut(k, c, 'callback done', 'T6');
}

/**
 * `bpf_task_work_cancel_and_free`, after the map detached the context from its value: the state
 * becomes FREED. A SCHEDULED work is cancelled from an irq_work (`bpf_task_work_cancel_scheduled`);
 * otherwise the map's reference is dropped now and whoever holds the callback's drops the other.
 */
export function cancelAndFree(k: Kern, ctx: number): void {
  const c = ctxOf(k, ctx);
  const prev = c.state;
  move(k, c, 'FREED', 'map value freed', 'T9');
  if (prev === 'SCHEDULED') {
    k.t.pushIrq({ id: k.t.nextId('irq'), kind: 'bpf_task_work_cancel_scheduled', ctx });
    emit(k, { kind: 'irq_work', t: k.t.now, op: 'queue', work: `bpf_task_work_cancel_scheduled(ctx#${ctx})` });
    return;
  }
  ctxPut(k, c, 'map reference dropped', 'T9');
}

/** `bpf_task_work_cancel_scheduled`: cancel the queued work (dropping the callback's reference), then the map's. */
export function cancelScheduledIrq(k: Kern, ctx: number): void {
  const c = ctxOf(k, ctx);
  if (c.task !== null && c.work !== null && taskWorkCancel(k, c.task, c.work)) {
    c.work = null;
    ctxPut(k, c, 'task_work cancelled', 'T9', true);
  }
  ctxPut(k, c, 'map reference dropped', 'T9', true);
}
