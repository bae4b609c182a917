/**
 * Folio reads and the sleeps they cause. A sleepable reader that must wait for a folio does not
 * finish its call: it returns a `Sleep` value naming the folio it waits for and how to continue. The
 * layer that owns time decides what happens meanwhile: the scheduler lets other tasks run;
 * `completeSleepSync` (used when no scheduler drives the world) lets virtual time jump to the end of
 * the awaited read, completing every read due by then.
 */
import { endRead, folioAt, PAGE_SIZE, startRead, type Mapping } from '../../pagecache/index.ts';
import { charge } from '../world/budget.ts';
import { KernsimError } from '../kernel/errors.ts';
import { inodeOf, mappingOf } from './files.ts';
import { ioKey, type Ino, type IoRequest } from './types.ts';
import { emit, type Kern } from '../world/world.ts';

export interface PageWait {
  readonly ino: Ino;
  /** The head page of the folio waited for. */
  readonly pgoff: number;
}

/** A call that must sleep until `wait` is over, then be continued with `resume`. */
export class Sleep {
  constructor(readonly wait: PageWait, readonly resume: unknown) {}
}

/**
 * Submit the read of the locked folio at `head` (`->read_folio`, or one folio of `->readahead`): an I/O
 * request completing after the inode's latency. Whether it fails is decided now, from the errors
 * injected on its pages (each page with one consumes one).
 */
export function submitIo(k: Kern, m: Mapping, ino: Ino, head: number, blocks?: IoRequest['blocks']): void {
  const f = folioAt(m, head);
  if (f === undefined || f.head !== head) throw new KernsimError(`no folio at ino ${ino} page ${head} to read`);
  charge(k, f.nr * PAGE_SIZE, `reading page ${head} of ino ${ino}${f.nr > 1 ? ` (a folio of ${f.nr} pages)` : ''}`);
  const inode = inodeOf(k, ino);
  let ok = true;
  for (let p = head; p < head + f.nr; p += 1) {
    const key = ioKey(ino, p);
    const failures = k.t.faults.io.size === 0 ? 0 : (k.t.faults.io.get(key) ?? 0);
    if (failures === 0) continue;
    ok = false;
    if (failures === 1) k.t.ownFaults().io.delete(key);
    else k.t.ownFaults().io.set(key, failures - 1);
  }
  const now = k.t.now;
  const req: IoRequest = { ino, pgoff: head, nr: f.nr, submittedAt: now, completesAt: now + inode.ioLatency, ok, ...(blocks === undefined ? {} : { blocks }) };
  k.t.addIo(ioKey(ino, head), req);
  emit(k, { kind: 'io_submit', t: now, ino, pgoff: head, nr: f.nr, completesAt: req.completesAt, willFail: !ok });
}

/**
 * `filemap_read_folio` (its start): lock the folio holding `pgoff` (a new order-0 folio if none) and
 * submit its read. Returns the folio's head, or null (nothing submitted) when it is locked or uptodate.
 */
export function readFolio(k: Kern, m: Mapping, ino: Ino, pgoff: number): number | null {
  const head = startRead(m, pgoff);
  if (head !== null) submitIo(k, m, ino, head);
  return head;
}

/** Complete the in-flight read of a folio: uptodate, or `failed` on an injected error. */
export function completeRead(k: Kern, ino: Ino, pgoff: number): void {
  const key = ioKey(ino, pgoff);
  const req = k.t.io.get(key);
  if (req === undefined) throw new KernsimError(`no read in flight for ino ${ino} page ${pgoff}`);
  k.t.deleteIo(key);
  if (k.t.now < req.completesAt) k.t.now = req.completesAt;
  endRead(mappingOf(k, ino), pgoff, req.ok, req.blocks);
  emit(k, { kind: 'io_complete', t: k.t.now, ino, pgoff, nr: req.nr, ok: req.ok });
}

/** Complete, in order of completion time, every read in flight due by `until` (all of them by default). */
export function completeIoUntil(k: Kern, until = Number.POSITIVE_INFINITY): number {
  const due = [...k.t.io.values()].filter((r) => r.completesAt <= until)
    .sort((a, b) => a.completesAt - b.completesAt || a.ino - b.ino || a.pgoff - b.pgoff);
  for (const r of due) completeRead(k, r.ino, r.pgoff);
  return due.length;
}

/**
 * With no scheduler: sleep until the awaited read completes. Virtual time jumps to its end, and every
 * read due by then (a readahead window is submitted at once) completes too.
 */
export function completeSleepSync(k: Kern, sleep: Sleep): void {
  const { ino, pgoff } = sleep.wait;
  emit(k, { kind: 'sleep', t: k.t.now, reason: `folio wait, ino ${ino} page ${pgoff}` });
  const req = k.t.io.get(ioKey(ino, pgoff));
  completeIoUntil(k, req === undefined ? k.t.now : req.completesAt);
  emit(k, { kind: 'wake', t: k.t.now, reason: `ino ${ino} page ${pgoff} unlocked` });
}
