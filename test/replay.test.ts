/**
 * Replaying a failing property where the suite is: the failure report ends with exactly one
 * paste-ready command (vitest.setup.ts, properties/replay.ts), and running that command replays the
 * failure (the child run below sees fast-check fail at once, on the counterexample's path).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const CHILD = process.env.KERNSIM_REPLAY_CHILD === '1';

function failure(): string {
  try {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1_000_000 }), (n) => n < 1000));
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

describe('replay of a failing property', () => {
  test('a failing property (n < 1000, deliberately) ends with one paste-ready command, which replays it', () => {
    const msg = failure();
    const lines = msg.split('\n').filter((l) => l.startsWith('Replay: '));
    expect(lines).toHaveLength(1);
    if (CHILD) {
      // The replayed run goes straight to the counterexample.
      expect(msg).toMatch(/failed after 1 tests/);
      expect(msg).toContain('Counterexample: [1000]');
      return;
    }
    // fast-check's own record of the run, read independently of the command.
    const own = /\{ seed: (-?\d+), path: "([^"]+)"/.exec(msg);
    expect(own).not.toBeNull();
    const command = (lines[0] ?? '').slice('Replay: '.length);
    expect(command).toBe(`KERNSIM_SEED=${own?.[1]} KERNSIM_PATH='${own?.[2]}' npx vitest run --project unit 'test/replay.test.ts' -t 'a failing property \\(n < 1000, deliberately\\) ends with one paste-ready command, which replays it'`);
    const r = spawnSync('sh', ['-c', command], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, KERNSIM_REPLAY_CHILD: '1', NO_COLOR: '1' } });
    expect(`${r.stdout}${r.stderr}`).toMatch(/1 passed/);
    expect(r.status).toBe(0);
  }, 120_000);
});
