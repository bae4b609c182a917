/**
 * A machine's possible CPUs (`num_possible_cpus()`), which the model needs for per-CPU sizes (an
 * LRU_HASH map's `target_free`: src/model/maps/lru.ts). Read from a CPU list as
 * /sys/devices/system/cpu/possible writes it (`0`, `0-1`, `0-3,8-11`).
 */
import { readFileSync } from 'node:fs';

/** How many CPUs a CPU list names; throws on a text that is not one. */
export function countCpus(list: string): number {
  let n = 0;
  for (const part of list.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (m === null) throw new Error(`not a CPU list: ${JSON.stringify(list)}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new Error(`not a CPU list: ${JSON.stringify(list)}`);
    n += hi - lo + 1;
  }
  return n;
}

/** This machine's possible CPUs (the host tier's kernel). */
export function hostPossibleCpus(): number {
  return countCpus(readFileSync('/sys/devices/system/cpu/possible', 'utf8'));
}
