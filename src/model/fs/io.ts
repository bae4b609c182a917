/**
 * Page reads and the sleeps they cause. A sleepable reader that meets a page that is not uptodate
 * does not finish its call: it returns a `Sleep` value naming the page it waits for and how to
 * continue. The layer that owns time decides what happens meanwhile: the scheduler lets other tasks
 * run; `completeSleepSync` (used when no scheduler drives the world) completes the read at once,
 * advancing virtual time by the I/O latency.
 */
import { endRead, PAGE_SIZE, startRead, type Mapping } from '../../pagecache/index.ts';
import { charge } from '../world/budget.ts';
import { KernsimError } from '../kernel/errors.ts';
import { inodeOf, mappingOf } from './files.ts';
import { ioKey, type Ino } from './types.ts';
import { emit, type Kern } from '../world/world.ts';

export interface PageWait {
  readonly ino: Ino;
  readonly pgoff: number;
}

/** A kfunc call that must sleep until `wait` is over, then be continued with `resume`. */
export class Sleep {
  constructor(readonly wait: PageWait, readonly resume: unknown) {}
}

/**
 * Submit a read of page `pgoff` (`filemap_read_folio`): the page is locked and an I/O request is
 * queued, completing after the inode's latency. Whether it fails is decided now, from the injected
 * errors. Returns false (nothing submitted) when the page is already locked or uptodate.
 */
export function submitRead(k: Kern, m: Mapping, ino: Ino, pgoff: number): boolean {
  if (m.pages.get(pgoff) === undefined) charge(k, PAGE_SIZE, `reading page ${pgoff} of ino ${ino}`);
  if (!startRead(m, pgoff)) return false;
  const inode = inodeOf(k, ino);
  const key = ioKey(ino, pgoff);
  const failures = k.t.faults.io.get(key) ?? 0;
  if (failures === 1) k.t.ownFaults().io.delete(key);
  else if (failures > 1) k.t.ownFaults().io.set(key, failures - 1);
  const now = k.t.now;
  const req = { ino, pgoff, submittedAt: now, completesAt: now + inode.ioLatency, ok: failures === 0 };
  k.t.addIo(key, req);
  emit(k, { kind: 'io_submit', t: now, ino, pgoff, completesAt: req.completesAt, willFail: !req.ok });
  return true;
}

/** Complete the in-flight read of a page: the page becomes uptodate, or `failed` on an injected error. */
export function completeRead(k: Kern, ino: Ino, pgoff: number): void {
  const key = ioKey(ino, pgoff);
  const req = k.t.io.get(key);
  if (req === undefined) throw new KernsimError(`no read in flight for ino ${ino} page ${pgoff}`);
  k.t.deleteIo(key);
  if (k.t.now < req.completesAt) k.t.now = req.completesAt;
  endRead(mappingOf(k, ino), pgoff, req.ok);
  emit(k, { kind: 'io_complete', t: k.t.now, ino, pgoff, ok: req.ok });
}

/** With no scheduler: sleep until the awaited read completes (virtual time jumps to its end). */
export function completeSleepSync(k: Kern, sleep: Sleep): void {
  const { ino, pgoff } = sleep.wait;
  emit(k, { kind: 'sleep', t: k.t.now, reason: `folio wait, ino ${ino} page ${pgoff}` });
  completeRead(k, ino, pgoff);
  emit(k, { kind: 'wake', t: k.t.now, reason: `ino ${ino} page ${pgoff} unlocked` });
}
