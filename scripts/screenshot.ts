/**
 * Screenshots of timelines in headless Chromium (Debian's `chromium`, driven by playwright-core).
 * `npx tsx scripts/screenshot.ts` writes docs/timeline.png from the seed scenario over a cold cache.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Open `html` in headless Chromium, let `inspect` look at it, and save a screenshot to `png` (the page and the browser's profile go in a temporary folder, removed after). */
export async function capture<T>(html: string, png: string, inspect: (page: Page) => Promise<T>, width = 1400): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'kernsim-shot-'));
  const file = join(dir, 'page.html');
  writeFileSync(file, html);
  try {
    const browser = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport: { width, height: 700 } });
    try {
      const page = await browser.newPage();
      await page.goto(pathToFileURL(file).href);
      const result = await inspect(page);
      await page.screenshot({ path: png, fullPage: true });
      return result;
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { timelineHtml } = await import('../src/timeline/svg.ts');
  const { timelineSvg } = await import('../src/timeline/svg.ts');
  const { scenario, fileReaderObject } = await import('../examples/file_reader.ts');
  const s = scenario({ object: fileReaderObject(), cache: 'warm' }).simulate();
  const width = Number(/width="(\d+)"/.exec(timelineSvg(s.world))?.[1] ?? 1400) + 60;
  await capture(timelineHtml(s.world, 'the seed scenario (task_work callback reads the exe)'), 'docs/timeline.png', async () => undefined, width);
  console.log('wrote docs/timeline.png');
}
