/**
 * Worlds are values: a transition returns a new world and leaves the one it started from exactly as
 * it was (the model runs immer without auto-freeze, so this is what keeps it honest), and the same
 * inputs give the same world.
 */
import { describe, expect, test } from 'vitest';
import { describeWorld, formatTrace, refSnapshot, stateBytes, type World } from '../src/index.ts';
import { fileReaderObject, scenario } from '../examples/file_reader.ts';

/** Everything observable about a world, as text. */
function fingerprint(w: World): string {
  const tasks = [...w.tasks.values()].map((t) => JSON.stringify({ ...t, fds: [...t.fds], stack: t.stack.length, userMem: t.userMem.length }, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)));
  return [describeWorld(w), formatTrace(w.trace), JSON.stringify(refSnapshot(w)), String(stateBytes(w)), ...tasks, JSON.stringify([...w.choices]), String(w.clock.now)].join('\n');
}

describe('worlds are values', () => {
  test('stepping a scenario leaves every earlier world unchanged', () => {
    const s = scenario({ object: fileReaderObject(), cache: 'cold' });
    const history: [World, string][] = [];
    for (let i = 0; i < 400 && s.step(); i += 1) history.push([s.world, fingerprint(s.world)]);
    expect(history.length).toBeGreaterThan(50);
    for (const [w, before] of history) expect(fingerprint(w)).toBe(before);
  });

  test('the same scenario run twice gives the same final world', () => {
    const a = scenario({ object: fileReaderObject(), cache: 'cold' }).simulate();
    const b = scenario({ object: fileReaderObject(), cache: 'cold' }).simulate();
    expect(fingerprint(b.world)).toBe(fingerprint(a.world));
  });
});
