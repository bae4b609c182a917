/** The kernsim command line, run as a user runs it (node bin/kernsim.mjs). */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { tempDirs } from './support/tmpdir.ts';

const ROOT = join(import.meta.dirname, '..');
const tempDir = tempDirs('kernsim-cli-');
const kernsim = (...args: string[]) => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/kernsim.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('kernsim CLI', () => {
  test('run: a verdict per scenario and a summary; exit 0 when all match', () => {
    const r = kernsim('run', 'examples/bounds.json', 'examples/seed.scenario.ts');
    expect(r.code).toBe(0);
    expect(r.out).toContain('PASS bounds');
    expect(r.out).toContain('PASS seed');
    expect(r.out.trim().split('\n').at(-1)).toBe('2 passed, 0 failed');
  });

  test('run: a mismatch exits 1 and says what differed', () => {
    const dir = tempDir();
    const doc = JSON.parse(readFileSync(join(ROOT, 'examples/bounds.json'), 'utf8')) as { expect: { calls: { ret: unknown }[] } };
    const first = doc.expect.calls[3];
    if (first !== undefined) first.ret = 0;
    writeFileSync(join(dir, 'wrong.json'), JSON.stringify(doc));
    const r = kernsim('run', join(dir, 'wrong.json'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAIL bounds');
    expect(r.out).toContain('bpf_dynptr_read call #2: expected 0, got -E2BIG');
  });

  test('run --json: machine-readable checks', () => {
    const r = kernsim('run', '--json', 'examples/ebusy_second_schedule.json');
    const out = JSON.parse(r.out) as { ok: boolean; checks: { what: string; ok: boolean }[] }[];
    expect(out[0]?.ok).toBe(true);
    expect(out[0]?.checks.map((c) => c.what)).toContain('bpf_task_work_schedule_signal_impl call #1');
  });

  test('a bad scenario file: kernsim: FILE: lines naming the place, exit 2, no stack trace, the next file still runs', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ name: 'x', files: [], objects: [], tasks: [{ comm: 'a', script: [{ sys: 'read', fd: 'f' }] }] }));
    const bad = join(dir, 'bad.json');
    const r = kernsim('run', bad, 'examples/bounds.json');
    expect(r.code).toBe(2);
    expect(r.err).toContain(`kernsim: ${bad}:   at /tasks/0/script/0/offset: expected a required property "offset"`);
    expect(r.out).toContain('PASS bounds');
    expect(r.out + r.err).not.toMatch(/\n\s+at \S+ \(|node:internal/);
  });

  test('exit status: the worst of the files (0 pass, 1 mismatch, 2 bad input); documented in --help', () => {
    const dir = tempDir();
    const doc = JSON.parse(readFileSync(join(ROOT, 'examples/bounds.json'), 'utf8')) as { expect: { calls: { ret: unknown }[] } };
    const first = doc.expect.calls[3];
    if (first !== undefined) first.ret = 0;
    writeFileSync(join(dir, 'wrong.json'), JSON.stringify(doc));
    writeFileSync(join(dir, 'broken.json'), '{');
    expect(kernsim('run', join(dir, 'wrong.json'), 'examples/adjust.json').code).toBe(1);
    const both = kernsim('run', join(dir, 'wrong.json'), join(dir, 'broken.json'), join(dir, 'missing.json'));
    expect(both.code).toBe(2);
    expect(both.err).toContain(`kernsim: ${join(dir, 'broken.json')}:   at /: expected valid JSON`);
    expect(both.err).toContain(`kernsim: ${join(dir, 'missing.json')}:   at /: expected a readable file`);
    const help = kernsim('run', '--help').out;
    for (const line of ['0  every scenario ran', '1  a scenario ran and an expectation did not hold', '2  bad input', '3  an internal error']) expect(help).toContain(line);
    expect(help).toContain('it is code, and kernsim runs it with your rights');
  });

  test('a section typo is refused with did-you-mean; integer text like "-0x1" runs', () => {
    const dir = tempDir();
    const prog = (section: string) => ({ name: 'x', files: [], objects: [{ name: 'o', programs: [{ name: 'p', section, body: [{ op: 'ret', src: { imm: '-0x1' } }] }] }],
      tasks: [{ comm: 't', script: [{ sys: 'prog_test_run', prog: 'p' }] }], expect: { results: [{ task: 0, syscall: 0, ret: -1 }] } });
    writeFileSync(join(dir, 'typo.json'), JSON.stringify(prog('lsm/file_opne')));
    writeFileSync(join(dir, 'ok.json'), JSON.stringify(prog('syscall')));
    const r = kernsim('run', join(dir, 'typo.json'), join(dir, 'ok.json'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('at /objects/0/programs/0/section: expected an LSM hook that exists');
    expect(r.err).toContain('did you mean "lsm/file_open"');
    expect(r.out).toContain('PASS x');
  });

  test('--budget: a run past it is exit 2 naming the scenario and the budget; a bad --budget is refused', () => {
    const r = kernsim('run', '--budget', 'steps=5', 'examples/seed.scenario.ts');
    expect(r.code).toBe(2);
    expect(r.err).toContain('scenario "seed": the steps budget (5) is exhausted');
    const bad = kernsim('run', '--budget', 'stepz=5', 'examples/bounds.json');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('kernsim: --budget:');
  });

  test('trace --timeline into a missing directory: a clear error before anything runs', () => {
    const r = kernsim('trace', 'examples/bounds.json', '--timeline', '/nonexistent-dir-kernsim/t.svg');
    expect(r.code).toBe(2);
    expect(r.err).toBe('kernsim: /nonexistent-dir-kernsim/t.svg: cannot write the timeline: the directory /nonexistent-dir-kernsim does not exist\n');
    expect(r.out).toBe('');
  });

  test('replay validates its arguments: a seed that is not an integer, an unknown property (with the list)', () => {
    const seed = kernsim('replay', '--seed', 'abc', '--path', '1');
    expect(seed.code).toBe(2);
    expect(seed.err).toContain('kernsim: --seed: expected fast-check\'s seed');
    const path = kernsim('replay', '--seed', '1', '--path', 'x:y');
    expect(path.code).toBe(2);
    const prop = kernsim('replay', '--seed', '1', '--path', '1', '--property', 'nope');
    expect(prop.code).toBe(2);
    expect(prop.err).toContain('kernsim: --property: no property matches "nope"');
    expect(prop.err).toContain('P1 a successful FILE read returns exactly the file bytes');
  });

  test('trace prints the events; --timeline writes an SVG', () => {
    const dir = tempDir();
    const r = kernsim('trace', 'examples/ebusy_second_schedule.json', '--timeline', join(dir, 't.svg'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('bpf_task_work_schedule_signal_impl(');
    expect(r.out).toContain('= -EBUSY');
    expect(readFileSync(join(dir, 't.svg'), 'utf8')).toMatch(/^<svg /);
  });

  test('trace --perfetto writes trace-event JSON; --timeline x.png is refused before anything runs', () => {
    const dir = tempDir();
    const r = kernsim('trace', 'examples/ebusy_second_schedule.json', '--perfetto', join(dir, 't.json'));
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8')) as { traceEvents: { ph: string; name: string; args?: { ret?: string } }[] };
    expect(doc.traceEvents.filter((e) => e.ph === 'X' && e.name === 'bpf_task_work_schedule_signal_impl').map((e) => e.args?.ret)).toEqual(['0', '-EBUSY']);
    const png = kernsim('trace', 'examples/ebusy_second_schedule.json', '--timeline', join(dir, 't.png'));
    expect(png.code).toBe(2);
    expect(png.err).toContain('--timeline writes SVG (.svg) or an HTML page (.html), not .png');
    expect(png.out).toBe('');
    expect(existsSync(join(dir, 't.png'))).toBe(false);
  }, 30_000);

  test('explain: checks in order and the kernel function, from the kfunc table', () => {
    const r = kernsim('explain', 'bpf_dynptr_adjust');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Mirrors: kernel/bpf/helpers.c: bpf_dynptr_adjust');
    expect(r.out.indexOf('p null → -EINVAL')).toBeLessThan(r.out.indexOf('start > size or end > size → -ERANGE'));
    const bad = kernsim('explain', 'dynptr_adjust');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('did you mean bpf_dynptr_adjust');
  });

  test('render --c prints the programs as BPF C', () => {
    const r = kernsim('render', 'examples/seed.scenario.ts', '--c');
    expect(r.code).toBe(0);
    expect(r.out).toContain('SEC("lsm/file_open")');
  });

  test('--help on every command; an unknown command is an error', () => {
    for (const cmd of ['run', 'trace', 'explain', 'render', 'replay']) {
      const r = kernsim(cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: kernsim ${cmd}`);
    }
    expect(kernsim('--help').out).toContain('Commands:');
    expect(kernsim('frobnicate').code).toBe(2);
  });
});

describe('kernsim explore', () => {
  const busy = 'examples/explore/second_schedule_busy.json';
  const dir = tempDir();
  const withClass = (cls: string): string => {
    const doc = JSON.parse(readFileSync(join(ROOT, busy), 'utf8')) as { expect: { calls: { class?: string }[] } };
    const second = doc.expect.calls[1];
    if (second !== undefined) second.class = cls;
    const f = join(dir, `busy-${cls}.json`);
    writeFileSync(f, JSON.stringify(doc));
    return f;
  };

  test('classes, counts, witnesses as choice lists that kernsim trace --choices replays; exit 0 when every class is as stated', () => {
    const r = kernsim('explore', busy, '--brief', '--compare');
    expect(r.code).toBe(0);
    expect(r.out).toContain('PASS second-schedule-while-busy');
    expect(r.out).toMatch(/bpf_task_work_schedule_signal_impl call #1 = -EBUSY: Sometimes \(holds in \d+, fails in \d+\)/);
    expect(r.out).toMatch(/\d+ states, \d+ transitions, \d+ schedules/);
    expect(r.out).toMatch(/reduction: \d+ vs \d+ transitions/);
    const m = /W1: --choices ([\d,]+)/.exec(r.out);
    expect(m).not.toBeNull();
    const t = kernsim('trace', busy, '--choices', m?.[1] ?? '');
    expect(t.code).toBe(0);
    expect(t.out).toContain('bpf_task_work_schedule_signal_impl');
    expect(kernsim('replay', busy, '--choices', m?.[1] ?? '').out).toBe(t.out);
  });

  test('a class found otherwise than stated exits 1; kernsim run explores a scenario that states classes', () => {
    const f = withClass('always');
    const r = kernsim('explore', f, '--brief');
    expect(r.code).toBe(1);
    expect(r.out).toContain('call #1 = -EBUSY: Sometimes');
    expect(r.out).toContain('expected Always');
    const run = kernsim('run', f);
    expect(run.code).toBe(1);
    expect(run.out).toContain('expected always -EBUSY, found Sometimes');
    expect(kernsim('run', busy).code).toBe(0);
  });

  test('a bound that leaves a stated class unconfirmed exits 2 and says which bound; bad options exit 2', () => {
    const r = kernsim('explore', busy, '--brief', '--max-states', '10', '--sample', '20');
    expect(r.code).toBe(2);
    expect(r.out).toContain('stopped by the states bound (--max-states)');
    expect(r.out).toContain('20 random schedules sampled');
    const bad = kernsim('explore', busy, '--max-states', 'many');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--max-states: expected a positive integer, got "many"');
    expect(kernsim('trace', busy, '--choices', '0,x').code).toBe(2);
  });

  test('--json: the state space and each check with its witnesses', () => {
    const r = kernsim('explore', '--json', '--brief', busy);
    const out = JSON.parse(r.out) as { complete: boolean; stats: { states: number; schedules: string }; checks: { what: string; found: string; witnesses: { holds?: { choices: string } } }[] }[];
    expect(out[0]?.complete).toBe(true);
    expect(out[0]?.stats.states).toBeGreaterThan(10);
    expect(out[0]?.checks.find((c) => c.what.endsWith('call #1'))?.found).toBe('sometimes');
  });

  test('--help documents explore', () => {
    const r = kernsim('explore', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: kernsim explore FILE...');
    expect(kernsim('--help').out).toContain('explore FILE...');
  });
});
