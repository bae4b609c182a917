/**
 * The scheduler's ready actions by their definition, worked out from a world's tasks and reads in
 * flight, the way src/scheduler/step.ts defined them before the run queue (test/runqueue.test.ts,
 * test/rebase.test.ts check the run queue against it).
 */
import type { Action, World } from '../../src/index.ts';

/** The ready actions by their definition (README "The scheduler"; src/scheduler/step.ts). */
export function definedActions(world: World): Action[] {
  const out: Action[] = [];
  if (world.irqWork.length > 0) out.push({ kind: 'irq' });
  const timed: Extract<Action, { at: number }>[] = [];
  for (const req of world.io.values()) timed.push({ kind: 'io', ino: req.ino, pgoff: req.pgoff, at: req.completesAt });
  for (const t of world.tasks.values()) if (t.state === 'interruptible' && t.wait?.kind === 'timer') timed.push({ kind: 'timer', pid: t.pid, at: t.wait.until });
  const now = world.clock.now;
  out.push(...timed.filter((a) => a.at <= now));
  const runnable = [...world.tasks.values()].filter((t) => t.state === 'runnable' || t.state === 'running' || t.state === 'exiting').map((t) => t.pid).sort((a, b) => a - b);
  if (world.current !== null && runnable.includes(world.current)) out.push({ kind: 'task', pid: world.current });
  for (const pid of runnable) if (pid !== world.current) out.push({ kind: 'task', pid });
  const future = timed.filter((a) => a.at > now);
  if (future.length > 0) {
    const first = Math.min(...future.map((a) => a.at));
    out.push(...future.filter((a) => a.at === first));
  }
  return out;
}
