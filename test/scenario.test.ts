/**
 * Scenario files: every example runs and meets its expectations; a bad document is refused whole,
 * with each problem named by a JSON Pointer and what was expected there.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseScenario, runScenario, ScenarioError } from '../src/scenario/run.ts';
import { loadScenario } from '../src/cli/main.ts';

const EXAMPLES = join(import.meta.dirname, '..', 'examples');
const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json') || f.endsWith('.scenario.ts')).sort();

describe('the example scenarios', () => {
  test('there are the seed, its cold-cache sibling, and one per rule taught', () => {
    expect(files).toEqual(expect.arrayContaining(['seed.scenario.ts', 'seed_cold_fault.scenario.ts', 'bounds.json', 'adjust.json',
      'eviction_during_sleep.json', 'exit_with_pending_task_work.json', 'ebusy_second_schedule.json']));
  });
  for (const f of files) {
    test(`${f} meets its expectations`, async () => {
      const run = runScenario(await loadScenario(join(EXAMPLES, f)));
      expect(run.checks.filter((c) => !c.ok)).toEqual([]);
      expect(run.checks.length).toBeGreaterThan(0);
    });
  }
  test('an expectation that does not hold is reported, with expected and actual', async () => {
    const sc = await loadScenario(join(EXAMPLES, 'bounds.json'));
    const wrong = { ...sc, expect: { calls: [{ fn: 'bpf_dynptr_read', nth: 2, ret: 0 }] } };
    const run = runScenario(wrong);
    expect(run.ok).toBe(false);
    expect(run.checks).toEqual([{ what: 'bpf_dynptr_read call #2', ok: false, expected: '0', actual: '-E2BIG' }]);
  });
});

describe('validation', () => {
  const good = JSON.parse(readFileSync(join(EXAMPLES, 'bounds.json'), 'utf8')) as Record<string, unknown>;
  const problems = (doc: unknown): { path: string; expected: string }[] => {
    try {
      parseScenario(doc, 'doc.json');
    } catch (e) {
      if (e instanceof ScenarioError) return [...e.problems];
      throw e;
    }
    return [];
  };

  test('the example is valid', () => {
    expect(problems(good)).toEqual([]);
  });
  test('a missing required property is named', () => {
    const { tasks: _t, ...rest } = good;
    expect(problems(rest)).toEqual([{ path: '/tasks', expected: expect.stringContaining('a required property "tasks"') }]);
  });
  test('a wrong type deep inside a program names its place', () => {
    const doc = structuredClone(good) as { objects: { programs: { body: { args?: unknown[] }[] }[] }[] };
    const op = doc.objects[0]?.programs[0]?.body[1];
    if (op?.args !== undefined) op.args[1] = { imm: 'sixteen' };
    expect(problems(doc)).toEqual([{ path: '/objects/0/programs/0/body/1/args/1/imm', expected: expect.stringMatching(/integer: a number below 2\^53, or decimal or 0x… text/) }]);
  });
  test('an unknown syscall says which ones exist', () => {
    const doc = structuredClone(good) as { tasks: { script: unknown[] }[] };
    doc.tasks[0]?.script.push({ sys: 'clone3' });
    const [p] = problems(doc);
    expect(p?.path).toBe('/tasks/0/script/1/sys');
    expect(p?.expected).toContain('one of "open", "read"');
  });
  test('an unknown property is refused with the allowed ones', () => {
    expect(problems({ ...good, colour: 'red' })).toEqual([{ path: '/colour', expected: expect.stringContaining('no property "colour"') }]);
  });
  test('a file without a size (and no text) is refused before anything runs', () => {
    const doc = { ...good, files: [{ path: '/x', content: { pattern: 1 } }] };
    expect(problems(doc)).toEqual([{ path: '/files/0/size', expected: 'a size (only text content implies one)' }]);
  });
  test('a file that is not JSON is a ScenarioError, not a stack trace', async () => {
    await expect(loadScenario(join(import.meta.dirname, 'golden', 'file_reader.bpf.c'))).rejects.toThrow(ScenarioError);
  });
});
