/**
 * A picture of a trace: one lane per task (user mode, kernel, interruptible sleep, I/O wait), a lane
 * for I/O and one for irq_work, each kfunc call with its return value on its task's lane, task_work
 * steps, the final page-cache state of the files read, and a legend (the modes, the markers, and the
 * programs with their sleepability). Self-contained SVG, deterministic for a world; `timelineHtml`
 * wraps it in a page. The x axis is the order of events (virtual time is printed where it changes),
 * so events at the same instant stay readable.
 *
 * Labels never overlap: each lane's labels are laid out left to right in rows, a label going to the
 * first row where it fits after the previous one (the width of a label is its length in the monospace
 * font's advance, `CHAR_W`, with a margin), and a lane is as tall as its rows need.
 */
import { checkString, checkWorld } from '../model/kernel/args.ts';
import { compactRanges, traceEvents, type TraceEvent } from '../model/world/trace.ts';
import { runsOf } from '../pagecache/index.ts';
import type { World } from '../model/world/state.ts';

const COL = 16;
const LEFT = 150;
const FONT = 10;
/** The advance of one character of the font below at FONT px (DejaVu Sans Mono: 0.602 em), with room to spare. */
const CHAR_W = 6.4;
const ROW = 12;
const GAP = 8;
const LANE_BASE = 44;
const FONT_FAMILY = "'DejaVu Sans Mono', 'Liberation Mono', Menlo, Consolas, monospace";

type Mode = 'user' | 'kernel' | 'sleep' | 'io' | 'dead';
const COLORS: Record<Mode, string> = { user: '#cfe3ff', kernel: '#ffd9a6', sleep: '#d9d9d9', io: '#ffb3b3', dead: 'none' };
const PAGE_COLORS: Record<string, string> = { uptodate: '#8fd694', locked: '#ffb347', failed: '#ff6b6b' };
const OK = '#2a7';
const BAD = '#d33';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Why `path` cannot be written by `--timeline` (only SVG and HTML are drawn), or null. */
export function timelineFormatProblem(path: string): string | null {
  if (/\.(svg|html?)$/i.test(path)) return null;
  const ext = /\.([^./\\]+)$/.exec(path)?.[1];
  return `--timeline writes SVG (.svg) or an HTML page (.html), not ${ext === undefined ? 'a file without an extension' : `.${ext}`} (${path}): `
    + 'for a PNG, open the HTML page in a browser and take a screenshot (scripts/screenshot.ts does it with headless Chromium)';
}

/** `open("/x") as f` → `open`; `(user space) skel->…` → `user space`. */
function syscallName(call: string): string {
  const m = /^\(([^)]*)\)/.exec(call);
  return m !== null ? (m[1] ?? call) : call.split('(')[0] || call;
}

function pidOf(ev: TraceEvent): number | null {
  return 'pid' in ev ? ev.pid : null;
}

/** Events that draw something, with runs of I/O submissions or completions folded into one column. */
function columns(all: readonly TraceEvent[]): { ev: TraceEvent; pages: number[] }[] {
  const out: { ev: TraceEvent; pages: number[] }[] = [];
  for (const ev of all) {
    if (ev.kind === 'file' || ev.kind === 'bpf_tw' || ev.kind === 'pagecache' || ev.kind === 'fault' || ev.kind === 'map' || ev.kind === 'verifier' || ev.kind === 'btf' || ev.kind === 'ringbuf') continue;
    const last = out[out.length - 1];
    if ((ev.kind === 'io_submit' || ev.kind === 'io_complete') && last !== undefined && last.ev.kind === ev.kind && last.ev.t === ev.t) {
      last.pages.push(ev.pgoff);
      continue;
    }
    out.push({ ev, pages: ev.kind === 'io_submit' || ev.kind === 'io_complete' ? [ev.pgoff] : [] });
  }
  return out;
}

interface Label {
  readonly x: number;
  readonly text: string;
  readonly cls: string;
  readonly fill: string;
  readonly title?: string;
}

/** Rows of non-overlapping labels: each label in the first row whose last label ends before it starts. */
function pack(labels: readonly Label[]): { label: Label; row: number }[] {
  const ends: number[] = [];
  return [...labels].sort((a, b) => a.x - b.x).map((label) => {
    let row = ends.findIndex((e) => e + GAP <= label.x);
    if (row < 0) {
      row = ends.length;
      ends.push(0);
    }
    ends[row] = label.x + label.text.length * CHAR_W;
    return { label, row };
  });
}

function labelText(l: Label, x: number, y: number): string {
  const text = `<text class="lbl ${l.cls}" x="${x}" y="${y}" fill="${l.fill}">${esc(l.text)}</text>`;
  return l.title === undefined ? text : `<g><title>${esc(l.title)}</title>${text}</g>`;
}

export function timelineSvg(world: World): string {
  checkWorld('world', world);
  const cols = columns(traceEvents(world.trace));
  const events = cols.map((c) => c.ev);
  const pids = [...world.tasks.keys()].sort((a, b) => a - b);
  const laneKeys: (number | 'io' | 'irq')[] = [...pids, 'io', 'irq'];
  const laneIndex = new Map<number | string, number>(laneKeys.map((k, i) => [k, i]));
  const x = (i: number): number => LEFT + i * COL;

  // First pass: the marks and labels of each lane, and the task modes.
  const labels: Label[][] = laneKeys.map(() => []);
  const marks: { lane: number; svg: (y: number) => string }[] = [];
  const timeLabels: Label[] = [];
  const addLabel = (lane: number, l: Label): void => { labels[lane]?.push(l); };
  const mode = new Map<number, Mode>(pids.map((p) => [p, 'user']));
  const since = new Map<number, number>(pids.map((p) => [p, 0]));
  const segments: { lane: number; m: Mode; from: number; to: number }[] = [];
  const flush = (pid: number, upto: number): void => {
    const m = mode.get(pid) ?? 'user';
    const from = since.get(pid) ?? 0;
    if (upto > from && m !== 'dead') segments.push({ lane: laneIndex.get(pid) ?? 0, m, from, to: upto });
    since.set(pid, upto);
  };
  const setMode = (pid: number, m: Mode, i: number): void => {
    if (!mode.has(pid) || mode.get(pid) === m) return;
    flush(pid, i);
    mode.set(pid, m);
  };
  let lastT = -1;
  const timeTicks: number[] = [];
  events.forEach((ev, i) => {
    if (ev.t !== lastT) {
      timeTicks.push(i);
      timeLabels.push({ x: x(i), text: `t=${ev.t}`, cls: 'time', fill: '#555' });
      lastT = ev.t;
    }
    const pid = pidOf(ev);
    switch (ev.kind) {
      case 'syscall':
        if (pid !== null) setMode(pid, 'kernel', i);
        if (ev.op === 'exit' && pid !== null) {
          addLabel(laneIndex.get(pid) ?? 0, { x: x(i), text: `${syscallName(ev.call)} = ${ev.ret ?? ''}`, cls: 'syscall', fill: '#333', title: `${ev.call} = ${ev.ret ?? ''}` });
        }
        break;
      case 'task':
        if (ev.op === 'user') setMode(ev.pid, 'user', i);
        else if (ev.op === 'sleep') setMode(ev.pid, ev.detail.startsWith('io_wait') ? 'io' : 'sleep', i);
        else if (ev.op === 'wake' || ev.op === 'signal_wake') setMode(ev.pid, 'kernel', i);
        else if (ev.op === 'dead') setMode(ev.pid, 'dead', i);
        else if (ev.op === 'spawn') setMode(ev.pid, 'user', i);
        break;
      case 'kfunc': {
        const m = /^pid (\d+)/.exec(ev.ctx);
        const lane = m === null ? laneIndex.get('irq') ?? 0 : laneIndex.get(Number(m[1])) ?? 0;
        const bad = ev.ret.startsWith('-E') || ev.ret === 'NULL';
        const cx = x(i) + COL / 2;
        marks.push({ lane, svg: (y) => `<circle class="kfunc" cx="${cx}" cy="${y + 30}" r="4" fill="${bad ? BAD : OK}"><title>${esc(`${ev.ctx} ${ev.name}(${ev.args.join(', ')}) = ${ev.ret}`)}</title></circle>` });
        addLabel(lane, { x: x(i), text: `${ev.name.replace(/^bpf_/, '')} = ${ev.ret}`, cls: 'ret', fill: bad ? '#b00' : '#063', title: `${ev.name}(${ev.args.join(', ')}) = ${ev.ret}` });
        break;
      }
      case 'io_submit':
      case 'io_complete': {
        const lane = laneIndex.get('io') ?? 0;
        const fill = ev.kind === 'io_submit' ? '#888' : 'ok' in ev && !ev.ok ? BAD : OK;
        const pages = compactRanges(cols[i]?.pages ?? [ev.pgoff]);
        const what = `${ev.kind === 'io_submit' ? 'read submitted' : 'read done'}: ino ${ev.ino} page(s) ${pages}`;
        marks.push({ lane, svg: (y) => `<rect class="${ev.kind}" x="${x(i) + 4}" y="${y + 26}" width="8" height="8" fill="${fill}"><title>${esc(what)}</title></rect>` });
        addLabel(lane, { x: x(i), text: `${ev.kind === 'io_submit' ? '↑' : '↓'}${pages}`, cls: 'io', fill: '#333', title: what });
        break;
      }
      case 'irq_work': {
        const xx = x(i) + 8;
        marks.push({ lane: laneIndex.get('irq') ?? 0, svg: (y) => `<path class="irq_work" d="M${xx},${y + 24} l5,6 l-5,6 l-5,-6 z" fill="${ev.op === 'run' ? '#a3c' : '#dbe'}"><title>${esc(`irq_work ${ev.op} ${ev.work}`)}</title></path>` });
        break;
      }
      case 'task_work': {
        const xx = x(i) + 8;
        marks.push({ lane: laneIndex.get(ev.pid) ?? 0, svg: (y) => `<path class="task_work" d="M${xx},${y + 36} l4,4 l-4,4 l-4,-4 z" fill="#36c"><title>${esc(`task_work ${ev.op} ${ev.work}`)}</title></path>` });
        break;
      }
      default:
        break;
    }
  });
  for (const p of pids) flush(p, events.length);

  // Layout: the rows of time labels, then each lane as tall as its label rows need.
  const timeRows = pack(timeLabels);
  const nTimeRows = Math.max(1, ...timeRows.map((r) => r.row + 1));
  const top = 60 + nTimeRows * ROW;
  const packed = labels.map((ls) => pack(ls));
  const laneY: number[] = [];
  let y = top;
  for (const p of packed) {
    laneY.push(y);
    y += LANE_BASE + Math.max(1, ...p.map((r) => r.row + 1)) * ROW + 10;
  }
  const lanesBottom = y;
  const maxLabelEnd = Math.max(0, ...labels.flat().map((l) => l.x + l.text.length * CHAR_W), ...timeLabels.map((l) => l.x + l.text.length * CHAR_W));

  // The legend: modes, markers, page states, programs and their sleepability.
  const progs = [...world.progs.values()].sort((a, b) => a.id - b.id);
  const callbacks = [...world.objects.values()].flatMap((o) => o.def.subprogs.map((s) => ({ obj: o.def.name, name: s.name })));
  const inodes = [...world.inodes.values()].filter((i) => (world.pagecache.get(i.ino)?.cached ?? 0) > 0);
  const pageTop = lanesBottom + 30;
  const legendTop = pageTop + inodes.length * 40 + 40;
  const legendRows = 4 + progs.length + callbacks.length;
  const height = legendTop + legendRows * 18 + 20;
  const width = Math.ceil(Math.max(LEFT + Math.max(1, events.length) * COL + 40, maxLabelEnd + 20, 900));

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY}" font-size="${FONT}">`);
  out.push('<title>kernsim timeline</title>');
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`);
  for (const { label, row } of timeRows) out.push(labelText(label, label.x, 20 + row * ROW + 10));
  for (const i of timeTicks) out.push(`<line x1="${x(i)}" x2="${x(i)}" y1="${top - 4}" y2="${lanesBottom}" stroke="#eee"/>`);
  laneKeys.forEach((key, lane) => {
    const ly = laneY[lane] as number;
    const label = typeof key === 'number' ? `pid ${key} ${world.tasks.get(key)?.comm ?? ''}` : key === 'io' ? 'I/O' : 'irq_work';
    const attrs = typeof key === 'number' ? `data-lane="task" data-pid="${key}"` : `data-lane="${key}"`;
    out.push(`<g ${attrs}><text x="6" y="${ly + 24}" font-size="12">${esc(label)}</text>`);
    out.push(`<line x1="${LEFT}" x2="${width - 10}" y1="${ly + 30}" y2="${ly + 30}" stroke="#999"/></g>`);
  });
  for (const s of segments) {
    out.push(`<rect class="mode-${s.m}" x="${x(s.from)}" y="${(laneY[s.lane] as number) + 22}" width="${(s.to - s.from) * COL}" height="16" fill="${COLORS[s.m]}"><title>${s.m}</title></rect>`);
  }
  for (const m of marks) out.push(m.svg(laneY[m.lane] as number));
  packed.forEach((rows, lane) => {
    for (const { label, row } of rows) out.push(labelText(label, label.x, (laneY[lane] as number) + LANE_BASE + 10 + row * ROW));
  });
  // Page cache at the end, for the files that have pages.
  out.push(`<g data-lane="pagecache"><text x="6" y="${pageTop - 8}" font-size="12">page cache (end)</text>`);
  inodes.forEach((inode, row) => {
    const m = world.pagecache.get(inode.ino);
    const yy = pageTop + row * 40 + 14;
    out.push(`<text x="${LEFT}" y="${yy - 4}">${esc(inode.path)}</text>`);
    // The first 256 cached pages, by runs (a file may be huge).
    const shown: [number, string][] = [];
    if (m !== undefined) {
      for (const r of runsOf(m)) {
        for (let pg = r.start; pg < r.end && shown.length < 256; pg += 1) shown.push([pg, r.state]);
        if (shown.length >= 256) break;
      }
    }
    shown.forEach(([pg, st], j) => {
      out.push(`<rect class="page page-${st}" x="${LEFT + j * 10}" y="${yy}" width="9" height="18" fill="${PAGE_COLORS[st] ?? '#fff'}" stroke="#666" stroke-width="0.3"><title>page ${pg}: ${st}</title></rect>`);
    });
    if ((m?.cached ?? 0) > 256) out.push(`<text x="${LEFT + 2570}" y="${yy + 14}">… ${(m?.cached ?? 0) - 256} more</text>`);
  });
  out.push('</g>');
  out.push(legend(legendTop, progs, callbacks));
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** The legend: one row each for the task modes, the markers, the page states; then one per program. */
function legend(top: number, progs: readonly { name: string; section: string; sleepable: boolean }[], callbacks: readonly { obj: string; name: string }[]): string {
  const out: string[] = ['<g class="legend">', `<text x="6" y="${top + 12}" font-size="12">legend</text>`];
  const row = (r: number): number => top + r * 18;
  let xx = LEFT;
  const item = (r: number, swatch: string, text: string): void => {
    out.push(`<g class="legend-item">${swatch}<text x="${xx + 16}" y="${row(r) + 10}">${esc(text)}</text></g>`);
    xx += 16 + text.length * CHAR_W + 18;
  };
  const box = (r: number, fill: string): string => `<rect x="${xx}" y="${row(r)}" width="12" height="12" fill="${fill}" stroke="#999" stroke-width="0.3"/>`;
  const modes: [Mode, string][] = [['user', 'user mode'], ['kernel', 'kernel'], ['sleep', 'asleep (interruptible)'], ['io', 'waiting for I/O']];
  for (const [m, text] of modes) item(0, box(0, COLORS[m]), text);
  xx = LEFT;
  item(1, `<circle cx="${xx + 6}" cy="${row(1) + 6}" r="4" fill="${OK}"/>`, 'kfunc call (label: name = return value)');
  item(1, `<circle cx="${xx + 6}" cy="${row(1) + 6}" r="4" fill="${BAD}"/>`, 'kfunc call returning an errno or NULL');
  item(1, `<path d="M${xx + 6},${row(1) + 2} l4,4 l-4,4 l-4,-4 z" fill="#36c"/>`, 'task_work step');
  xx = LEFT;
  item(2, `<rect x="${xx + 2}" y="${row(2) + 2}" width="8" height="8" fill="#888"/>`, 'I/O submitted (↑pages)');
  item(2, `<rect x="${xx + 2}" y="${row(2) + 2}" width="8" height="8" fill="${OK}"/>`, 'I/O done (↓pages)');
  item(2, `<rect x="${xx + 2}" y="${row(2) + 2}" width="8" height="8" fill="${BAD}"/>`, 'I/O failed');
  item(2, `<path d="M${xx + 6},${row(2)} l5,6 l-5,6 l-5,-6 z" fill="#dbe"/>`, 'irq_work queued');
  item(2, `<path d="M${xx + 6},${row(2)} l5,6 l-5,6 l-5,-6 z" fill="#a3c"/>`, 'irq_work run');
  xx = LEFT;
  for (const [st, color] of Object.entries(PAGE_COLORS)) item(3, box(3, color), `page ${st}`);
  let r = 4;
  for (const p of progs) {
    xx = LEFT;
    item(r, `<rect x="${xx}" y="${row(r) + 2}" width="12" height="8" fill="${p.sleepable ? '#9cf' : '#fc9'}"/>`, `program ${p.name} (SEC("${p.section}")): ${p.sleepable ? 'sleepable' : 'not sleepable'}`);
    r += 1;
  }
  for (const c of callbacks) {
    xx = LEFT;
    item(r, `<rect x="${xx}" y="${row(r) + 2}" width="12" height="8" fill="#9cf"/>`, `subprogram ${c.name} (${c.obj}): sleepable when it runs as a task_work callback`);
    r += 1;
  }
  out.push('</g>');
  return out.join('\n');
}

export function timelineHtml(world: World, title: string): string {
  checkWorld('world', world);
  checkString('title', title);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kernsim: ${esc(title)}</title>
<style>body{font-family:sans-serif;margin:16px}div.scroll{overflow-x:auto;border:1px solid #ccc}</style></head>
<body><h1>kernsim timeline: ${esc(title)}</h1>
<p>Linux ${esc(world.version)}; ${world.trace.length} events; virtual time ${world.clock.now} ticks.</p>
<div class="scroll">
${timelineSvg(world)}</div>
</body></html>
`;
}
