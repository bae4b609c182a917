/**
 * Timelines: deterministic SVG with a lane per task and each kfunc's return value; and the HTML page
 * checked in headless Chromium (Debian's package, driven by playwright-core): it loads, shows the
 * lanes and the return values, and can be captured.
 */
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { timelineHtml, timelineSvg } from '../src/timeline/svg.ts';
import { directReaderObject, fileReaderObject, scenario } from '../examples/file_reader.ts';
import { capture, CHROMIUM } from '../scripts/screenshot.ts';


describe('timeline SVG', () => {
  test('is deterministic for a world and has one lane per task, an I/O lane and an irq_work lane', () => {
    const a = scenario({ object: fileReaderObject(), cache: 'cold' }).simulate();
    const b = scenario({ object: fileReaderObject(), cache: 'cold' }).simulate();
    const svg = timelineSvg(a.world);
    expect(timelineSvg(b.world)).toBe(svg);
    expect(svg.match(/data-lane="task"/g)).toHaveLength(a.world.tasks.size);
    expect(svg).toContain('data-lane="io"');
    expect(svg).toContain('data-lane="irq"');
    expect(svg).toContain('task_work_schedule_signal_impl = 0');
    expect(svg).toContain('dynptr_read = -E2BIG');
    expect(svg).toContain('class="mode-io"'); // the callback waited for page reads
  });
});

describe('timeline in headless Chromium', () => {
  test('the HTML page loads, shows the lanes and the return values, and can be captured', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true);
    const s = scenario({ object: directReaderObject('lsm/file_open'), cache: 'cold' }).simulate();
    const shot = join(mkdtempSync(join(tmpdir(), 'kernsim-timeline-')), 'timeline.png');
    const seen = await capture(timelineHtml(s.world, 'on_open_expect_fault'), shot, async (tab) => ({
      tasks: await tab.locator('g[data-lane="task"]').count(),
      io: await tab.locator('g[data-lane="io"]').count(),
      rets: await tab.locator('text.ret').allTextContents(),
    }));
    expect(seen.tasks).toBe(1);
    expect(seen.io).toBe(1);
    expect(seen.rets).toContain('dynptr_read = -EFAULT');
    expect(seen.rets).toContain('dynptr_from_file = 0');
    expect(statSync(shot).size).toBeGreaterThan(5000);
  }, 60_000);
});
