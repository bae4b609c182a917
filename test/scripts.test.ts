/**
 * Tasks spawned with equal scripts share one copy (tables.ts `sharedScript`): the world holds each
 * script once, and every earlier world keeps the copies it had.
 */
import { describe, expect, test } from 'vitest';
import { Session, stateBytes, type Syscall } from '../src/index.ts';

const sleeps = (n: number, ticks = 1): Syscall[] => Array.from({ length: n }, () => ({ sys: 'sleep' as const, ticks }));

describe('scripts of spawned tasks', () => {
  test('equal scripts (made apart, their keys in another order) are one copy; another script is its own', () => {
    const s = new Session();
    const a = s.spawn({ comm: 'a', script: [{ sys: 'open', path: '/f', fd: 'f' }, { sys: 'sleep', ticks: 2 }] });
    const b = s.spawn({ comm: 'b', script: [{ fd: 'f', path: '/f', sys: 'open' } as Syscall, { ticks: 2, sys: 'sleep' } as Syscall] });
    const c = s.spawn({ comm: 'c', script: [{ sys: 'open', path: '/f', fd: 'f' }, { sys: 'sleep', ticks: 3 }] });
    const task = (pid: number) => s.world.tasks.get(pid);
    expect(task(b)?.script).toBe(task(a)?.script);
    expect(task(c)?.script).not.toBe(task(a)?.script);
    expect(task(c)?.script).toEqual([{ sys: 'open', path: '/f', fd: 'f' }, { sys: 'sleep', ticks: 3 }]);
    expect(s.world.scripts.size).toBe(2);
  });

  test('integers given as text (bigints) are part of the text: equal ones share, another value or a number does not', () => {
    const s = new Session();
    const big = (value: string | number): Syscall[] => [{ sys: 'user_write', addr: value, text: 'x' } as Syscall];
    const a = s.spawn({ comm: 'a', script: big('0x10000') });
    const b = s.spawn({ comm: 'b', script: big('65536') });
    const c = s.spawn({ comm: 'c', script: big('0x10001') });
    const d = s.spawn({ comm: 'd', script: big(0x10000) });
    const script = (pid: number) => s.world.tasks.get(pid)?.script;
    expect(script(a)).toEqual([{ sys: 'user_write', addr: 0x10000n, text: 'x' }]);
    expect(script(b)).toBe(script(a));
    expect(script(c)).not.toBe(script(a));
    expect(script(d)).not.toBe(script(a));
    expect(script(d)).toEqual([{ sys: 'user_write', addr: 0x10000, text: 'x' }]);
  });

  test('a world of many like tasks holds their script once (and its text, the key of its copy)', () => {
    const bytes = (tasks: number): number => {
      const s = new Session();
      for (let i = 0; i < tasks; i += 1) s.spawn({ comm: 'same', script: sleeps(200) });
      return stateBytes(s.world);
    };
    // stateBytes' rule for plain data (world/inspect.ts): 8 a number, 16 + 2 a character a string,
    // 24 an object and 8 an entry besides its key and value.
    const walk = (v: unknown): number => (typeof v === 'number' ? 8 : typeof v === 'string' ? 16 + 2 * v.length
      : typeof v === 'object' && v !== null ? 24 + Object.entries(v).reduce((n, [k, x]) => n + 8 + walk(k) + walk(x), 0) : 0);
    const script = sleeps(200);
    const first = bytes(1) - bytes(0);
    const later = (bytes(41) - bytes(1)) / 40;
    // The first task brought the script and its text (an entry of the table); a later one neither.
    expect(first - later).toBeGreaterThanOrEqual(walk(script) + 16 + walk(JSON.stringify(script)));
    expect(later).toBeLessThan(walk(script) / 4);
  });

  test('a spawn in one branch leaves the copies of every other world as they were', () => {
    const s = new Session();
    s.spawn({ comm: 'first', script: sleeps(3) });
    const w0 = s.world;
    s.spawn({ comm: 'other', script: sleeps(2) });
    const w1 = s.world;
    s.world = w0;
    s.spawn({ comm: 'same', script: sleeps(3) });
    const w2 = s.world;
    expect([w0.scripts.size, w1.scripts.size, w2.scripts.size]).toEqual([1, 2, 1]);
    expect([...w0.scripts.entries()][0]?.[1]).toBe([...w0.tasks.values()][0]?.script);
    // The branch's task shares the copy the world it came from had.
    const [first, same] = [...w2.tasks.values()];
    expect(same?.script).toBe(first?.script);
  });
});
