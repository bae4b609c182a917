/**
 * The playground page (playground/, built into docs/playground by scripts/build-playground.ts), in
 * headless Chromium (Debian's package, driven by playwright-core): it loads from disk, runs the seed
 * scenario in the browser bundle (`run_success=1 err=0`, every expectation holds), shows the trace
 * and the timeline, and reports an edited scenario's mismatch and a broken document's problem.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { buildPlayground } from '../scripts/build-playground.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../scripts/screenshot.ts';
import { tempDirs } from './support/tmpdir.ts';

const tempDir = tempDirs('kernsim-playground-');

describe('the playground page in headless Chromium', () => {
  test('runs the seed scenario and other examples, shows verdicts, trace and timeline, and reports bad input', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true);
    const dir = tempDir();
    await buildPlayground(join(dir, 'site'));
    const browser = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(pathToFileURL(join(dir, 'site/index.html')).href);
      // The seed scenario is selected first.
      expect(await page.locator('#example option:checked').textContent()).toContain('seed.json');
      await page.click('#run');
      await page.waitForSelector('#verdict.pass', { timeout: 60_000 });
      expect(await page.textContent('#verdict')).toMatch(/^PASS seed \((\d+) of \1 checks hold\)$/);
      expect(await page.textContent('#globals')).toContain('run_success=1 err=0');
      expect(await page.textContent('#trace')).toContain('bpf_task_work_schedule_signal_impl(');
      expect(await page.locator('#timeline svg g[data-lane="task"]').count()).toBe(1);
      expect(await page.locator('#checks tr.check').count()).toBeGreaterThan(3);

      // Another example: the page swaps the scenario in.
      const bounds = await page.locator('#example option', { hasText: 'bounds.json' }).getAttribute('value');
      await page.selectOption('#example', bounds ?? '');
      expect(await page.inputValue('#scenario')).toContain('"name": "bounds"');
      await page.click('#run');
      await page.waitForFunction("document.querySelector('#verdict')?.textContent?.includes('bounds') === true");
      expect(await page.textContent('#verdict')).toMatch(/^PASS bounds/);

      // An edited expectation that the model contradicts: FAIL, naming what differed.
      const edited = (await page.inputValue('#scenario')).replace('{\n        "fn": "bpf_dynptr_read",\n        "nth": 2,\n        "ret": "-E2BIG"', '{\n        "fn": "bpf_dynptr_read",\n        "nth": 2,\n        "ret": 0');
      expect(edited).not.toBe(await page.inputValue('#scenario'));
      await page.fill('#scenario', edited);
      await page.click('#run');
      await page.waitForSelector('#verdict.fail');
      expect(await page.textContent('#checks')).toContain('bpf_dynptr_read call #2');
      expect(await page.locator('#checks td.bad').count()).toBe(1);

      // A document that is not a scenario: the problem and its place.
      await page.fill('#scenario', '{"name": "x", "files": [], "objects": [], "tasks": [{"comm": "a", "script": [{"sys": "read", "fd": "f"}]}]}');
      await page.click('#run');
      await page.waitForFunction("document.querySelector('#verdict')?.textContent === 'ERROR'");
      expect(await page.textContent('#error')).toContain('/tasks/0/script/0');
      await page.fill('#scenario', '{ nope');
      await page.click('#run');
      await page.waitForFunction("document.querySelector('#error')?.textContent?.startsWith('not valid JSON') === true");
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 180_000);
});
