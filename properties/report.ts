/**
 * What a property failure shows besides fast-check's seed and path: the shrunk program rendered as
 * BPF C and the trace of its run. The context is appended to the error of each failing run, so the
 * final report (after shrinking) carries the smallest one.
 */
import { formatTrace, renderC, type BpfObject, type World } from '../src/index.ts';

const TRACE_LINES = 80;

export function context(obj: BpfObject | null, world: World | null): string {
  const parts: string[] = [];
  if (obj !== null) parts.push(`--- program as BPF C ---\n${renderC(obj)}`);
  if (world !== null) {
    const lines = formatTrace(world.trace).split('\n');
    const shown = lines.length > TRACE_LINES ? [`… ${lines.length - TRACE_LINES} earlier events`, ...lines.slice(-TRACE_LINES)] : lines;
    parts.push(`--- trace ---\n${shown.join('\n')}`);
  }
  return parts.join('\n');
}

/** Run `body`; if it throws, add `describe()` to the error's message. */
export function reporting<T>(describe: () => string, body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (e instanceof Error) e.message = `${e.message}\n\n${describe()}`;
    throw e;
  }
}
