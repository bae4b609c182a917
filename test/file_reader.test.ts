/**
 * The seed example (SEMANTICS.md, "The seed scenario"): `validate_file_read` on a 256000-byte file,
 * run directly in a sleepable and a non-sleepable hook over a warm and a cold cache, and end to end
 * through the task_work callback.
 */
import { describe, expect, test } from 'vitest';
import { E2BIG, EFAULT, refSnapshot, type TraceEvent } from '../src/index.ts';
import { directReaderObject, EXE, FILE_SIZE, fileReaderObject, scenario } from '../examples/file_reader.ts';

const PAGES = Math.ceil(FILE_SIZE / 4096); // 63 pages: 0-62

const kfuncCalls = (evs: TraceEvent[], name: string) => evs.filter((e): e is Extract<TraceEvent, { kind: 'kfunc' }> => e.kind === 'kfunc' && e.name === name);

describe('validate_file_read run directly in the hook', () => {
  test.each([['lsm/file_open'], ['lsm.s/file_open']] as const)('%s, warm cache: every check passes', (section) => {
    const s = scenario({ object: directReaderObject(section), cache: 'warm' }).simulate();
    expect(s.global('err')).toBe(0n);
    expect(s.global('run_success')).toBe(1n);
    const reads = kfuncCalls(s.events(), 'bpf_dynptr_read').map((e) => e.ret);
    // Whole file, 1 @ 1, 1 @ size-1, 100 @ 4097, 1 @ 0 after the adjust: 0; then two -E2BIG.
    expect(reads).toEqual(['0', '0', '0', '0', '0', '-E2BIG', '-E2BIG']);
    expect(-E2BIG).toBe(-7);
  });

  test('lsm/file_open (non-sleepable), cold cache: the first read fails with exactly -EFAULT, no page is read', () => {
    const s = scenario({ object: directReaderObject('lsm/file_open'), cache: 'cold' }).simulate();
    expect(s.global('err')).toBe(BigInt(-EFAULT));
    expect(s.global('run_success')).toBe(0n);
    expect(kfuncCalls(s.events(), 'bpf_dynptr_read').map((e) => e.ret)).toEqual(['-EFAULT']);
    expect(s.pages(EXE)).toEqual({});
  });

  test('lsm.s/file_open (sleepable), cold cache: succeeds and leaves every page uptodate', () => {
    const s = scenario({ object: directReaderObject('lsm.s/file_open'), cache: 'cold' }).simulate();
    expect(s.global('err')).toBe(0n);
    expect(s.global('run_success')).toBe(1n);
    expect(s.pages(EXE)).toEqual({ uptodate: `0-${PAGES - 1}` });
  });
});

describe('the seed scenario end to end', () => {
  test.each(['warm', 'cold'] as const)('%s cache: the callback runs once, sleepable, before open() returns to user mode; run_success=1 err=0', (cache) => {
    const s = scenario({ object: fileReaderObject(), cache }).simulate();
    expect(s.global('run_success')).toBe(1n);
    expect(s.global('err')).toBe(0n);
    const evs = s.events();
    const enters = evs.filter((e) => e.kind === 'prog' && e.op === 'enter' && e.name === 'task_work_callback');
    expect(enters).toHaveLength(1);
    expect(enters[0]?.kind === 'prog' && enters[0].detail).toContain('sleepable');
    const openTrigger = evs.findIndex((e) => e.kind === 'syscall' && e.op === 'exit' && e.call.includes('/tmp/trigger'));
    const cbEnd = evs.findIndex((e) => e.kind === 'prog' && e.op === 'exit' && e.name === 'task_work_callback');
    const userAfter = evs.findIndex((e, i) => i > openTrigger && e.kind === 'task' && e.op === 'user');
    expect(openTrigger).toBeGreaterThan(0);
    expect(cbEnd).toBeGreaterThan(openTrigger);
    expect(cbEnd).toBeLessThan(userAfter);
    const sched = kfuncCalls(evs, 'bpf_task_work_schedule_signal_impl');
    expect(sched.map((e) => e.ret)).toEqual(['0']);
  });

  test('cold cache: the callback sleeps for I/O (the task waits) once: the whole file is one readahead window', () => {
    const s = scenario({ object: fileReaderObject(), cache: 'cold' }).simulate();
    const sleeps = s.events().filter((e) => e.kind === 'task' && e.op === 'sleep' && e.detail.includes('bpf_dynptr_read'));
    // The first read asks for all PAGES pages from page 0: more than ra_pages (32), so the window may
    // grow to the device's io_pages (320) and covers the request (page_cache_sync_ra,
    // ractl_max_pages): every page is submitted at once, and the reader waits once.
    expect(sleeps).toHaveLength(1);
    const at = sleeps[0]?.t;
    const submits = s.events().filter((e) => e.kind === 'io_submit' && e.t === at);
    expect(submits.map((e) => (e.kind === 'io_submit' ? e.pgoff : -1)).sort((a, b) => a - b)).toEqual(Array.from({ length: PAGES }, (_, i) => i));
  });

  test.each(['warm', 'cold'] as const)('%s cache: every reference count is back at its baseline', (cache) => {
    const s = scenario({ object: fileReaderObject(), cache }).simulate();
    const refs = refSnapshot(s.world);
    expect(refs.folioRefs).toBe(0);
    expect(refs.liveFileStates).toBe(0);
    expect(refs.ioInFlight).toBe(0);
    expect(refs.irqWork).toBe(0);
    expect(refs.taskWorks).toBe(0);
    expect(Object.values(refs.files).every((n) => n === 0)).toBe(true);
    expect(refs.progs).toEqual({ 1: 1 }); // the loader's reference only
    expect(refs.tasks).toEqual({ 100: 0 });
    expect(refs.twctx).toEqual({}); // the map's last user reference went away: the ctx is freed
  });
});
