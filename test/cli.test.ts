/** The kernsim command line, run as a user runs it (node bin/kernsim.mjs). */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
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
  }, 30_000);

  test('run: a mismatch exits 1 and says what differed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kernsim-cli-'));
    const doc = JSON.parse(readFileSync(join(ROOT, 'examples/bounds.json'), 'utf8')) as { expect: { calls: { ret: unknown }[] } };
    const first = doc.expect.calls[3];
    if (first !== undefined) first.ret = 0;
    writeFileSync(join(dir, 'wrong.json'), JSON.stringify(doc));
    const r = kernsim('run', join(dir, 'wrong.json'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAIL bounds');
    expect(r.out).toContain('bpf_dynptr_read call #2: expected 0, got -E2BIG');
  }, 30_000);

  test('run --json: machine-readable checks', () => {
    const r = kernsim('run', '--json', 'examples/ebusy_second_schedule.json');
    const out = JSON.parse(r.out) as { ok: boolean; checks: { what: string; ok: boolean }[] }[];
    expect(out[0]?.ok).toBe(true);
    expect(out[0]?.checks.map((c) => c.what)).toContain('bpf_task_work_schedule_signal_impl call #1');
  }, 30_000);

  test('a bad scenario file: a message naming the place, no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kernsim-cli-'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ name: 'x', files: [], objects: [], tasks: [{ comm: 'a', script: [{ sys: 'read', fd: 'f' }] }] }));
    const r = kernsim('run', join(dir, 'bad.json'));
    expect(r.code).toBe(1);
    expect(r.out + r.err).toContain('/tasks/0/script/0/offset');
    expect(r.out + r.err).not.toMatch(/\n\s+at \S+ \(|node:internal/);
  }, 30_000);

  test('trace prints the events; --timeline writes an SVG', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kernsim-cli-'));
    const r = kernsim('trace', 'examples/ebusy_second_schedule.json', '--timeline', join(dir, 't.svg'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('bpf_task_work_schedule_signal_impl(');
    expect(r.out).toContain('= -EBUSY');
    expect(readFileSync(join(dir, 't.svg'), 'utf8')).toMatch(/^<svg /);
  }, 30_000);

  test('trace --perfetto writes trace-event JSON; --timeline x.png is refused before anything runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kernsim-cli-'));
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
  }, 30_000);

  test('render --c prints the programs as BPF C', () => {
    const r = kernsim('render', 'examples/seed.scenario.ts', '--c');
    expect(r.code).toBe(0);
    expect(r.out).toContain('SEC("lsm/file_open")');
  }, 30_000);

  test('--help on every command; an unknown command is an error', () => {
    for (const cmd of ['run', 'trace', 'explain', 'render', 'replay']) {
      const r = kernsim(cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: kernsim ${cmd}`);
    }
    expect(kernsim('--help').out).toContain('Commands:');
    expect(kernsim('frobnicate').code).toBe(2);
  }, 60_000);
});
