/**
 * Reading a world: a compact description for people (REPL, `npm start`), reference-count snapshots
 * for tests and properties, and an estimate of the model state's size in bytes.
 */
import { checkString, checkWorld } from '../kernel/args.ts';
import { Table } from './tables.ts';
import { IdTable } from './idtable.ts';
import { ScriptTable } from './scripts.ts';
import { compactRuns } from './trace.ts';
import { isRunTree, PG_DIRTY, PG_READAHEAD, segmentsOf, SparseMap, type PageRun, type PageState } from '../../pagecache/index.ts';
import { UnknownHandleError } from '../kernel/errors.ts';
import type { World } from './state.ts';

/** Reference counts that must return to their baseline when a program or scenario is done. */
export interface RefSnapshot {
  /** `f_count` of every file, freed ones as 0. */
  readonly files: Readonly<Record<number, number>>;
  /** Sum of reader references over all folios. */
  readonly folioRefs: number;
  /** FILE dynptr states allocated and not yet discarded. */
  readonly liveFileStates: number;
  /** Page reads in flight. */
  readonly ioInFlight: number;
  /** `prog->aux->refcnt` of every loaded program. */
  readonly progs: Readonly<Record<number, number>>;
  /** References held on each task_struct by BPF task_work. */
  readonly tasks: Readonly<Record<number, number>>;
  /** bpf_task_work contexts not freed, with their reference counts. */
  readonly twctx: Readonly<Record<number, number>>;
  /** irq_work queued and not yet run. */
  readonly irqWork: number;
  /** task_work queued on all tasks. */
  readonly taskWorks: number;
  /** Ring buffer records reserved and not yet submitted or discarded, over all rings. */
  readonly ringbufBusy: number;
}

export function refSnapshot(world: World): RefSnapshot {
  checkWorld('world', world);
  const files: Record<number, number> = {};
  for (const [id, f] of world.files) files[id] = f.freed ? 0 : f.f_count;
  let folioRefs = 0;
  for (const m of world.pagecache.values()) {
    for (const n of m.refs.values()) folioRefs += n;
    for (const d of (m.detached ?? new Map()).values()) folioRefs += d.refs;
  }
  let liveFileStates = 0;
  for (const st of world.fileStates.values()) if (!st.freed) liveFileStates += 1;
  const progs: Record<number, number> = {};
  for (const p of world.progs.values()) progs[p.id] = p.refs;
  const tasks: Record<number, number> = {};
  let taskWorks = 0;
  for (const t of world.tasks.values()) {
    tasks[t.pid] = t.usage;
    taskWorks += t.works.queue.length;
  }
  const twctx: Record<number, number> = {};
  for (const c of world.twctx.values()) if (!c.freed) twctx[c.id] = c.refcnt;
  let ringbufBusy = 0;
  for (const r of world.rings.values()) ringbufBusy += r.samples.size;
  return { files, folioRefs, liveFileStates, ioInFlight: world.io.size, progs, tasks, twctx, irqWork: world.irqWork.length, taskWorks, ringbufBusy };
}

/**
 * Page states of one inode, compacted: `{ uptodate: '0-2,5', locked: '3' }`. A suffix names what else
 * holds for the page's folio: `+ref` (a reader holds it), `+dirty`, `+ra` (`PG_readahead`, on the
 * folio's first page only).
 */
export function pageMap(world: World, path: string): Record<string, string> {
  checkWorld('world', world);
  checkString('path', path);
  const ino = world.paths.get(path);
  const m = ino === undefined ? undefined : world.pagecache.get(ino);
  const by: Record<string, PageRun[]> = {};
  if (m !== undefined) {
    // By runs: a key per run segment, except a large folio's first page under PG_readahead.
    for (const { a, b, run, refs } of segmentsOf(m)) {
      const base = `${run.state}${refs > 0 ? '+ref' : ''}${(run.flags & PG_DIRTY) !== 0 ? '+dirty' : ''}`;
      if ((run.flags & PG_READAHEAD) === 0) {
        (by[base] ??= []).push([a, b]);
        continue;
      }
      const nr = 2 ** run.order;
      for (let head = a - (a % nr); head <= b; head += nr) {
        if (head >= a) (by[`${base}+ra`] ??= []).push([head, head]);
        if (Math.max(a, head + 1) <= Math.min(b, head + nr - 1)) (by[base] ??= []).push([Math.max(a, head + 1), Math.min(b, head + nr - 1)]);
      }
    }
  }
  const out: Record<string, string> = {};
  for (const key of Object.keys(by).sort()) out[key] = compactRuns(by[key] ?? []);
  return out;
}

/** One cached page of a file: its index, state and the references readers hold on it. */
export interface PageInfo {
  readonly page: number;
  readonly state: PageState;
  readonly refs: number;
}

/**
 * The cached pages of the file at `path`, by page index (ascending): what `pageMap` shows as range
 * strings, as data. An uncached page is absent. Throws `UnknownHandleError` for a path with no file.
 */
export function pageStates(world: World, path: string): PageInfo[] {
  const ino = world.paths.get(path);
  if (ino === undefined) throw new UnknownHandleError('path', path, 'file at path');
  const m = world.pagecache.get(ino);
  if (m === undefined) return [];
  const out: PageInfo[] = [];
  for (const { a, b, run, refs } of segmentsOf(m)) for (let page = a; page <= b; page += 1) out.push({ page, state: run.state, refs });
  return out;
}

/** A few lines a person can read: version and clock, files, page cache, dynptrs. */
export function describeWorld(world: World): string {
  checkWorld('world', world);
  const lines = [`kernsim world: Linux ${world.version}, t=${world.clock.now}, ${world.trace.length} trace events`];
  for (const inode of world.inodes.values()) {
    const pages = Object.entries(pageMap(world, inode.path)).map(([s, r]) => `${s} ${r}`).join('; ') || 'no pages cached';
    lines.push(`  ${inode.path} (ino ${inode.ino}, ${inode.size} bytes${inode.secretmem ? ', secretmem' : ''}): ${pages}`);
  }
  for (const f of world.files.values()) {
    const path = world.inodes.get(f.ino)?.path ?? '?';
    lines.push(`  file#${f.id} ${path}: ${f.freed ? 'freed' : `f_count=${f.f_count}`}`);
  }
  for (const t of world.tasks.values()) {
    const f = t.flags;
    const flags = [f.notifySignal ? 'NOTIFY_SIGNAL' : '', f.notifyResume ? 'NOTIFY_RESUME' : '', f.pfExiting ? 'PF_EXITING' : ''].filter(Boolean).join('|');
    lines.push(`  task ${t.pid} ${t.comm}: ${t.state}${flags ? ` [${flags}]` : ''}, ${t.works.queue.length} task_work queued, syscall ${t.pc}/${t.script.length}`);
  }
  for (const m of world.maps.values()) {
    const tw = [...m.slots.entries()].filter(([, e]) => e.tw !== null).map(([id, e]) => {
      const c = e.tw === null ? undefined : world.twctx.get(e.tw);
      const linked = m.elems.get(e.key)?.slot === id;
      return `[${e.key}${linked ? '' : ` (freed memory #${id})`}] ctx#${e.tw} ${c?.state ?? '?'} refcnt ${c?.refcnt ?? '?'}`;
    });
    // The kptrs element memory holds (a freed element's memory keeps its kptrs on 7.2).
    const kp: string[] = [];
    for (const [id, e] of m.slots) {
      const linked = m.elems.get(e.key)?.slot === id;
      for (const f of m.layout.fields) {
        const v = f.kind === 'kptr' ? e.kptrs[f.index] ?? null : null;
        if (f.kind !== 'kptr' || v === null) continue;
        const what = v.ptr === 'task' ? `task ${v.pid}` : v.ptr === 'file' ? `file#${v.file}` : `inode ${v.ino}`;
        kp.push(`[${e.key}${linked ? '' : ` (freed memory #${id})`}].${f.name} = ${what}`);
      }
    }
    const fields = [...tw, ...kp];
    const ring = world.rings.get(m.id);
    const rb = ring === undefined ? '' : `: consumer ${ring.consumerPos}, producer ${ring.producerPos}, ${ring.samples.size} reserved, ${ring.wakeups} wake-ups`;
    lines.push(`  map ${m.name} (${m.type}, ${ring === undefined ? `${m.elems.size}/` : ''}${m.maxEntries}, usercnt ${m.usercnt})${fields.length > 0 ? `: ${fields.join('; ')}` : ''}${rb}`);
  }
  for (const p of world.packets.values()) {
    const len = p.head.length + p.frags.reduce((n, f) => n + f.length, 0);
    lines.push(`  packet#${p.id} ${p.kind}${p.kind === 'skb' ? ` (${p.progType})` : ''}: len ${len}, linear ${p.head.length}, ${p.frags.length} frags, meta ${p.meta.length}${p.kind === 'skb' && p.cloned ? ', cloned' : ''}`);
  }
  for (const [slot, d] of world.dynptrs) {
    if (d.kind === 'null') lines.push(`  dynptr ${slot}: null`);
    else if (d.kind === 'local') lines.push(`  dynptr ${slot}: LOCAL offset=${d.offset} size=${d.size}${d.rdonly ? ' rdonly' : ''}`);
    else if (d.kind === 'ringbuf') {
      const live = world.rings.get(d.map)?.samples.has(d.rec) === true;
      lines.push(`  dynptr ${slot}: RINGBUF map#${d.map} record@${d.rec}${live ? '' : ' (released)'} offset=${d.offset} size=${d.size}`);
    } else if (d.kind !== 'file') {
      lines.push(`  dynptr ${slot}: ${d.kind.toUpperCase()} packet#${d.packet} offset=${d.offset} size=${d.size}${d.rdonly ? ' rdonly' : ''}`);
    } else {
      const st = world.fileStates.get(d.state);
      lines.push(st === undefined || st.freed
        ? `  dynptr ${slot}: FILE (state #${d.state} freed)`
        : `  dynptr ${slot}: FILE file#${st.file} offset=${st.offset} size=${st.size} ${st.maySleep ? 'sleepable' : 'non-sleepable'} reader${st.folio === null ? '' : `, holds ${st.folio.nr > 1 ? `pages ${st.folio.head}-${st.folio.head + st.folio.nr - 1}` : `page ${st.folio.head}`}`}`);
    }
  }
  return lines.join('\n');
}

/**
 * An estimate of the bytes the model state occupies: every object, map entry, string and number it
 * holds, counted structurally (typed-array bytes included; file content is counted only where it is
 * held as bytes). Deterministic, unlike heap measurements. The trace and the log of the tasks' syscall
 * results (`results`, whose chunks later worlds append to in place) are not counted.
 */
export function stateBytes(world: World): number {
  checkWorld('world', world);
  const seen = new Set<object>();
  const walk = (v: unknown): number => {
    switch (typeof v) {
      case 'number': return 8;
      case 'boolean': return 4;
      case 'bigint': return 16;
      case 'string': return 16 + 2 * v.length;
      case 'undefined': return 0;
      case 'object': {
        if (v === null) return 0;
        if (seen.has(v)) return 0;
        seen.add(v);
        if (ArrayBuffer.isView(v)) return 64 + v.byteLength;
        if (v instanceof Map || v instanceof SparseMap || v instanceof Table || v instanceof IdTable || v instanceof ScriptTable || isRunTree(v)) {
          let n = 32;
          for (const [key, value] of isRunTree(v) || v instanceof ScriptTable ? v.entries() : v) n += 16 + walk(key) + walk(value);
          return n;
        }
        let n = 24;
        for (const [key, value] of Object.entries(v)) n += 8 + walk(key) + walk(value);
        return n;
      }
      default: return 8;
    }
  };
  const { trace: _trace, results: _results, ...rest } = world;
  return walk(rest);
}
