/**
 * Generated programs over TASK_STORAGE maps (src/model/maps/task_storage.ts): up to 24 steps of
 * `bpf_task_storage_get` (with and without F_CREATE, other flags, a value or NULL, current or a NULL
 * task) and `bpf_task_storage_delete` on two maps, writes through the last pointer, reads through a
 * kept one (properties/task_storage.ts), in a non-sleepable or a sleepable program. Host (6.18): `tc`
 * or `SEC("syscall")`, current the loader; guest (7.2): `lsm/file_open` or `lsm.s/file_open`.
 */
import fc from 'fast-check';
import { tsSeqArb } from '../properties/task_storage.ts';
import { taskStorageGuestCase, taskStorageHostCase, type TsSeq } from './cases/task_storage.ts';
import type { FileCase } from './cases/file.ts';
import type { ConfCase } from './cases/lib.ts';

const RULE = 'TASK_STORAGE maps: generated programs';

function sample(count: number, seed: number): TsSeq[] {
  return fc.sample(fc.tuple(tsSeqArb, fc.boolean()), { numRuns: count, seed }).map(([{ steps, size }, sleepable]) => ({
    id: '', steps, size, sleepable,
    note: `generated (${steps.length} steps, map a of ${size} bytes, ${sleepable ? 'sleepable' : 'non-sleepable'})`,
  }));
}

/** `count` generated host cases from `seed` (deterministic). */
export function generatedTaskStorageCases(count: number, seed: number): ConfCase[] {
  return sample(count, seed).map((q, i) => taskStorageHostCase(`gts${i}`, q, RULE, true));
}

/** `count` generated guest cases from `seed` (deterministic). */
export function generatedTaskStorageFileCases(count: number, seed: number): FileCase[] {
  return sample(count, seed).map((q, i) => taskStorageGuestCase(`fgts${i}`, q, `${RULE} (7.2)`, true));
}
