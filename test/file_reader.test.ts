/**
 * The seed example's `validate_file_read` sequence (SEMANTICS.md, "The seed scenario") on a
 * 256000-byte file, warm and cold, sleepable and not.
 */
import { describe, expect, test } from 'vitest';
import { E2BIG, EFAULT } from '../src/index.ts';
import { FILE_PATH, FILE_SIZE, run } from '../examples/file_reader.ts';

const PAGES = Math.ceil(FILE_SIZE / 4096); // 63 pages: 0-62

describe('validate_file_read', () => {
  test.each([false, true])('warm cache, sleepable=%s: every check passes, no I/O', (sleepable) => {
    const { result, session } = run({ cache: 'warm', sleepable });
    expect(result.err).toBe(0);
    expect(result.checks.map((c) => c.ok)).toEqual(Array(result.checks.length).fill(true));
    expect(result.checks).toHaveLength(9);
    expect(session.events().filter((e) => e.kind === 'io_submit')).toHaveLength(0);
    expect(session.world.clock.now).toBe(0);
  });

  test('after the adjust to [4097, 4098), a 2-byte read and a read at offset 1 fail with -E2BIG', () => {
    const { result } = run({ cache: 'warm', sleepable: false });
    const tail = result.checks.slice(-2);
    expect(tail.map((c) => c.ret)).toEqual([-E2BIG, -E2BIG]);
  });

  test('cold cache, non-sleepable: the first read fails with exactly -EFAULT and no page is read', () => {
    const { result, session } = run({ cache: 'cold', sleepable: false });
    expect(result.err).toBe(-EFAULT);
    expect(session.pages(FILE_PATH)).toEqual({});
    expect(session.events().some((e) => e.kind === 'io_submit')).toBe(false);
  });

  test('cold cache, sleepable: succeeds, reads every page once and leaves them uptodate', () => {
    const { result, session } = run({ cache: 'cold', sleepable: true });
    expect(result.err).toBe(0);
    expect(session.pages(FILE_PATH)).toEqual({ uptodate: `0-${PAGES - 1}` });
    const submitted = session.events().filter((e) => e.kind === 'io_submit').map((e) => (e.kind === 'io_submit' ? e.pgoff : -1));
    expect(submitted).toEqual(Array.from({ length: PAGES }, (_, i) => i));
    expect(session.world.clock.now).toBe(PAGES * 100); // default latency: 100 ticks per page read, one at a time
  });

  test.each([['warm', false], ['warm', true], ['cold', false], ['cold', true]] as const)(
    '%s cache, sleepable=%s: reference counts return to baseline', (cache, sleepable) => {
      const { session } = run({ cache, sleepable });
      const refs = session.refs();
      expect(refs.folioRefs).toBe(0);
      expect(refs.liveFileStates).toBe(0);
      expect(refs.ioInFlight).toBe(0);
      expect(refs.files).toEqual({ 1: 0 });
    },
  );
});
