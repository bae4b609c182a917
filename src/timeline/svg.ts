/**
 * A picture of a trace: one lane per task (user mode, kernel, interruptible sleep, I/O wait), a lane
 * for I/O and one for irq_work, each kfunc call with its return value on its task's lane, task_work
 * steps, and the final page-cache state of the files read. Self-contained SVG, deterministic for a
 * world; `timelineHtml` wraps it in a page. The x axis is the order of events (virtual time is
 * printed where it changes), so events at the same instant stay readable.
 */
import { compactRanges, traceEvents, type TraceEvent } from '../model/world/trace.ts';
import type { Mapping } from '../pagecache/index.ts';
import type { World } from '../model/world/state.ts';

const COL = 16;
const LANE = 80;
const LEFT = 150;
const TOP = 170;

type Mode = 'user' | 'kernel' | 'sleep' | 'io' | 'dead';
const COLORS: Record<Mode, string> = { user: '#cfe3ff', kernel: '#ffd9a6', sleep: '#d9d9d9', io: '#ffb3b3', dead: 'none' };
const PAGE_COLORS: Record<string, string> = { uptodate: '#8fd694', locked: '#ffb347', failed: '#ff6b6b' };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function pidOf(ev: TraceEvent): number | null {
  return 'pid' in ev ? ev.pid : null;
}

/** Events that draw something, with runs of I/O submissions or completions folded into one column. */
function columns(all: readonly TraceEvent[]): { ev: TraceEvent; pages: number[] }[] {
  const out: { ev: TraceEvent; pages: number[] }[] = [];
  for (const ev of all) {
    if (ev.kind === 'file' || ev.kind === 'bpf_tw' || ev.kind === 'pagecache' || ev.kind === 'fault' || ev.kind === 'map' || ev.kind === 'verifier' || ev.kind === 'ringbuf') continue;
    const last = out[out.length - 1];
    if ((ev.kind === 'io_submit' || ev.kind === 'io_complete') && last !== undefined && last.ev.kind === ev.kind && last.ev.t === ev.t) {
      last.pages.push(ev.pgoff);
      continue;
    }
    out.push({ ev, pages: ev.kind === 'io_submit' || ev.kind === 'io_complete' ? [ev.pgoff] : [] });
  }
  return out;
}

export function timelineSvg(world: World): string {
  const cols = columns(traceEvents(world.trace));
  const events = cols.map((c) => c.ev);
  const pids = [...world.tasks.keys()].sort((a, b) => a - b);
  const laneOf = new Map<number | string, number>(pids.map((p, i) => [p, i]));
  laneOf.set('io', pids.length);
  laneOf.set('irq', pids.length + 1);
  const lanes = pids.length + 2;
  const width = LEFT + Math.max(1, events.length) * COL + 260;
  const inodes = [...world.inodes.values()].filter((i) => (world.pagecache.get(i.ino)?.pages.size ?? 0) > 0);
  const pageTop = TOP + lanes * LANE + 30;
  const height = pageTop + inodes.length * 40 + 60;
  const y = (lane: number): number => TOP + lane * LANE;
  const x = (i: number): number => LEFT + i * COL;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="10">`);
  out.push('<title>kernsim timeline</title>');
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`);
  // Lane labels.
  for (const p of pids) {
    const t = world.tasks.get(p);
    out.push(`<g data-lane="task" data-pid="${p}"><text x="6" y="${y(laneOf.get(p) ?? 0) + 24}" font-size="12">pid ${p} ${esc(t?.comm ?? '')}</text>`);
    out.push(`<line x1="${LEFT}" x2="${width - 10}" y1="${y(laneOf.get(p) ?? 0) + 30}" y2="${y(laneOf.get(p) ?? 0) + 30}" stroke="#999"/></g>`);
  }
  for (const [key, label] of [['io', 'I/O'], ['irq', 'irq_work']] as const) {
    out.push(`<g data-lane="${key}"><text x="6" y="${y(laneOf.get(key) ?? 0) + 24}" font-size="12">${label}</text>`);
    out.push(`<line x1="${LEFT}" x2="${width - 10}" y1="${y(laneOf.get(key) ?? 0) + 30}" y2="${y(laneOf.get(key) ?? 0) + 30}" stroke="#999"/></g>`);
  }
  // Task mode segments.
  const mode = new Map<number, Mode>(pids.map((p) => [p, 'user']));
  const since = new Map<number, number>(pids.map((p) => [p, 0]));
  const segments: string[] = [];
  const flush = (pid: number, upto: number): void => {
    const m = mode.get(pid) ?? 'user';
    const from = since.get(pid) ?? 0;
    if (upto > from && m !== 'dead') {
      segments.push(`<rect class="mode-${m}" x="${x(from)}" y="${y(laneOf.get(pid) ?? 0) + 22}" width="${(upto - from) * COL}" height="16" fill="${COLORS[m]}"><title>${m}</title></rect>`);
    }
    since.set(pid, upto);
  };
  const setMode = (pid: number, m: Mode, i: number): void => {
    if (!mode.has(pid) || mode.get(pid) === m) return;
    flush(pid, i);
    mode.set(pid, m);
  };
  const marks: string[] = [];
  let syscallLabels = 0;
  let lastT = -1;
  events.forEach((ev, i) => {
    if (ev.t !== lastT) {
      marks.push(`<text x="${x(i)}" y="${TOP - 8}" fill="#555">t=${ev.t}</text><line x1="${x(i)}" x2="${x(i)}" y1="${TOP - 4}" y2="${TOP + lanes * LANE}" stroke="#eee"/>`);
      lastT = ev.t;
    }
    const pid = pidOf(ev);
    switch (ev.kind) {
      case 'syscall':
        if (pid !== null) setMode(pid, 'kernel', i);
        if (ev.op === 'exit' && pid !== null) {
          const row = (syscallLabels += 1) % 2;
          marks.push(`<text class="syscall" x="${x(i)}" y="${y(laneOf.get(pid) ?? 0) + 52 + row * 12}" fill="#333">${esc(ev.call.split('(')[0] ?? '')} = ${esc(ev.ret ?? '')}</text>`);
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
        const lane = m === null ? laneOf.get('irq') ?? 0 : laneOf.get(Number(m[1])) ?? 0;
        const bad = ev.ret.startsWith('-E') || ev.ret === 'NULL';
        marks.push(`<g class="kfunc"><circle cx="${x(i) + COL / 2}" cy="${y(lane) + 30}" r="4" fill="${bad ? '#d33' : '#2a7'}"/>`
          + `<text class="ret" transform="translate(${x(i) + COL / 2 + 2},${y(lane) + 18}) rotate(-40)" fill="${bad ? '#b00' : '#063'}">${esc(ev.name.replace(/^bpf_/, ''))} = ${esc(ev.ret)}</text></g>`);
        break;
      }
      case 'io_submit':
      case 'io_complete': {
        const lane = laneOf.get('io') ?? 0;
        const fill = ev.kind === 'io_submit' ? '#888' : 'ok' in ev && !ev.ok ? '#d33' : '#2a7';
        const pages = cols[i]?.pages ?? [ev.pgoff];
        marks.push(`<g class="${ev.kind}"><rect x="${x(i) + 4}" y="${y(lane) + 26}" width="8" height="8" fill="${fill}"/><text x="${x(i) + 2}" y="${y(lane) + (ev.kind === 'io_submit' ? 48 : 60)}">${ev.kind === 'io_submit' ? '↑' : '↓'}${compactRanges(pages)}</text><title>${ev.kind === 'io_submit' ? 'read submitted' : 'read done'}: page(s) ${compactRanges(pages)}</title></g>`);
        break;
      }
      case 'irq_work':
        marks.push(`<g class="irq_work"><path d="M${x(i) + 8},${y(laneOf.get('irq') ?? 0) + 24} l5,6 l-5,6 l-5,-6 z" fill="${ev.op === 'run' ? '#a3c' : '#dbe'}"/><title>${esc(`${ev.op} ${ev.work}`)}</title></g>`);
        break;
      case 'task_work':
        marks.push(`<g class="task_work"><path d="M${x(i) + 8},${y(laneOf.get(ev.pid) ?? 0) + 40} l4,4 l-4,4 l-4,-4 z" fill="#36c"/><title>${esc(`task_work ${ev.op} ${ev.work}`)}</title></g>`);
        break;
      default:
        break;
    }
  });
  for (const p of pids) flush(p, events.length);
  out.push(...segments, ...marks);
  // Page cache at the end, for the files that have pages.
  out.push(`<g data-lane="pagecache"><text x="6" y="${pageTop - 8}" font-size="12">page cache (end)</text>`);
  inodes.forEach((inode, row) => {
    const m = world.pagecache.get(inode.ino) as Mapping | undefined;
    const pages = m?.pages;
    const yy = pageTop + row * 40;
    out.push(`<text x="6" y="${yy + 14}">${esc(inode.path)}</text>`);
    const keys = [...(pages?.keys() ?? [])].sort((a, b) => a - b).slice(0, 256);
    keys.forEach((pg, j) => {
      const st = pages?.get(pg) ?? 'absent';
      out.push(`<rect class="page page-${st}" x="${LEFT + j * 10}" y="${yy}" width="9" height="18" fill="${PAGE_COLORS[st] ?? '#fff'}" stroke="#666" stroke-width="0.3"><title>page ${pg}: ${st}</title></rect>`);
    });
    if ((pages?.size ?? 0) > 256) out.push(`<text x="${LEFT + 2570}" y="${yy + 14}">… ${(pages?.size ?? 0) - 256} more</text>`);
  });
  out.push('</g>');
  const legend = [['user', COLORS.user], ['kernel', COLORS.kernel], ['sleep', COLORS.sleep], ['I/O wait', COLORS.io], ['uptodate page', PAGE_COLORS.uptodate]];
  legend.forEach(([label, color], j) => {
    out.push(`<rect x="${LEFT + j * 120}" y="${height - 30}" width="12" height="12" fill="${color}"/><text x="${LEFT + j * 120 + 16}" y="${height - 20}">${label}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

export function timelineHtml(world: World, title: string): string {
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
