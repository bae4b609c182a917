/**
 * Timelines: deterministic SVG with a lane per task and each kfunc's return value; and the HTML page
 * checked in headless Chromium (Debian's package, driven by playwright-core): it loads, shows the
 * lanes and the return values, and can be captured.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { timelineFormatProblem, timelineHtml, timelineSvg } from '../src/timeline/svg.ts';
import { directReaderObject, fileReaderObject, scenario } from '../examples/file_reader.ts';
import { capture, CHROMIUM } from '../scripts/screenshot.ts';
import { tempDirs } from './support/tmpdir.ts';

const tempDir = tempDirs('kernsim-timeline-');


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

  test('the legend names the markers, and each program with its sleepability', () => {
    const s = scenario({ object: directReaderObject('lsm.s/file_open'), cache: 'cold' }).simulate();
    const svg = timelineSvg(s.world);
    const legend = svg.slice(svg.indexOf('<g class="legend">'));
    for (const text of ['user mode', 'waiting for I/O', 'kfunc call (label: name = return value)', 'kfunc call returning an errno or NULL', 'task_work step', 'I/O submitted', 'irq_work run', 'page uptodate']) {
      expect(legend).toContain(text);
    }
    expect(legend).toContain('program on_open_expect_fault (SEC(&quot;lsm.s/file_open&quot;)): sleepable');
    const t = timelineSvg(scenario({ object: fileReaderObject(), cache: 'warm' }).simulate().world);
    expect(t).toContain('program on_open_validate_file_read (SEC(&quot;lsm/file_open&quot;)): not sleepable');
    expect(t).toContain('subprogram task_work_callback (file_reader): sleepable when it runs as a task_work callback');
  });
});

describe('--timeline formats', () => {
  test('SVG and HTML are drawn; PNG and the rest are refused with what to do instead', () => {
    expect(timelineFormatProblem('out.svg')).toBeNull();
    expect(timelineFormatProblem('a/b/out.html')).toBeNull();
    expect(timelineFormatProblem('x.png')).toMatch(/not \.png .*screenshot/);
    expect(timelineFormatProblem('x')).toMatch(/without an extension/);
  });
});

describe('timeline in headless Chromium', () => {
  test('no two labels overlap, as the browser lays them out (the seed scenario, whose callback makes many calls)', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true);
    const s = scenario({ object: fileReaderObject(), cache: 'cold' }).simulate();
    const shot = join(tempDir(), 'timeline.png');
    // Each text's box as the browser laid it out (SVG getBBox), read in the page.
    const boxes = await capture(timelineHtml(s.world, 'seed'), shot, async (tab) => (await tab.evaluate(`
      [...document.querySelectorAll('svg text')].map((t) => {
        const b = t.getBBox();
        return { text: t.textContent ?? '', x: b.x, y: b.y, w: b.width, h: b.height };
      })`)) as { text: string; x: number; y: number; w: number; h: number }[]);
    expect(boxes.filter((b) => b.text.includes(' = ')).length).toBeGreaterThan(20);
    const overlaps: string[] = [];
    for (let i = 0; i < boxes.length; i += 1) {
      for (let j = i + 1; j < boxes.length; j += 1) {
        const a = boxes[i];
        const b = boxes[j];
        if (a === undefined || b === undefined || a.w === 0 || b.w === 0) continue;
        // 0.5 px of tolerance: glyph boxes of adjacent rows may touch.
        if (a.x + a.w > b.x + 0.5 && b.x + b.w > a.x + 0.5 && a.y + a.h > b.y + 0.5 && b.y + b.h > a.y + 0.5) overlaps.push(`${a.text} / ${b.text}`);
      }
    }
    expect(overlaps).toEqual([]);
  }, 120_000);

  test('the HTML page loads, shows the lanes and the return values, and can be captured', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true);
    const s = scenario({ object: directReaderObject('lsm/file_open'), cache: 'cold' }).simulate();
    const shot = join(tempDir(), 'timeline.png');
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
  });
});
