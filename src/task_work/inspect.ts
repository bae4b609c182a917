/**
 * Reading the BPF task_work state of a world without its internals: the `struct bpf_task_work_ctx`
 * that a map element's `struct bpf_task_work` slot points at (kernel/bpf/helpers.c; the slot holds
 * the ctx pointer, NULL until the first schedule and again once the element's special fields were
 * freed).
 */
import { UnknownHandleError } from '../model/kernel/errors.ts';
import type { MapId } from '../model/maps/types.ts';
import type { Pid, TwaMode, TwState } from '../model/task/types.ts';
import type { World } from '../model/world/state.ts';

/** A task_work context as data. */
export interface TaskWorkInfo {
  /** The context's id (as the trace names it: `ctx#n`). */
  readonly ctx: number;
  /** Its state machine's state (`STANDBY`, `PENDING`, `SCHEDULING`, `SCHEDULED`, `RUNNING`, `FREED`). */
  readonly state: TwState;
  /** `ctx->refcnt`. */
  readonly refcnt: number;
  /** The mode of the last schedule (`TWA_SIGNAL` for `…_signal`, `TWA_RESUME` for `…_resume`). */
  readonly mode: TwaMode;
  /** The task the work was scheduled on, while the context holds it; null otherwise. */
  readonly task: Pid | null;
  /** The callback subprogram's name, null before the first schedule. */
  readonly callback: string | null;
}

/**
 * The context attached to the task_work slot of element `key` of map `map`, or null when the slot
 * holds none. Throws `UnknownHandleError` for a map or element that does not exist.
 */
export function taskWorkOf(world: World, map: MapId, key: number): TaskWorkInfo | null {
  const m = world.maps.get(map);
  if (m === undefined) throw new UnknownHandleError('map', map, 'map');
  if (!m.taskWork) throw new UnknownHandleError('map', m.name, 'map with a bpf_task_work field named');
  const e = m.elems.get(key);
  if (e === undefined) throw new UnknownHandleError('key', key, `element of map ${m.name}`);
  // The context belongs to the element's memory (its slot), not to the key (docs/task_work.md, Q4).
  const tw = m.slots.get(e.slot)?.tw ?? null;
  if (tw === null) return null;
  return taskWorkCtx(world, tw);
}

/** The task_work context `ctx` (as `TaskWorkInfo.ctx` or the trace names it), attached or not; null when it never existed. */
export function taskWorkCtx(world: World, ctx: number): TaskWorkInfo | null {
  const c = world.twctx.get(ctx);
  if (c === undefined) return null;
  return { ctx: c.id, state: c.state, refcnt: c.refcnt, mode: c.mode, task: c.task, callback: c.callback };
}
