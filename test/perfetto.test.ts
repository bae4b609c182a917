/**
 * The Perfetto / Chrome trace-event export (`kernsim trace --perfetto out.json`), checked against the
 * format's rules by a validator written here from the format's description (Trace Event Format:
 * every event has name, ph, ts, pid and tid; complete events `X` have a duration and, on one thread,
 * nest or are disjoint; `B`/`E` pairs balance; `M` metadata names processes and threads), and against
 * the model's own trace: every kfunc call is a slice carrying its return value.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { content, parseScenario, perfettoTrace, runScenario, seededChooser, Session, type TraceEvent, type World } from '../src/index.ts';
import { directReaderObject, fileReaderObject, scenario } from '../examples/file_reader.ts';

const ROOT = join(import.meta.dirname, '..');

interface Ev { name?: unknown; ph?: unknown; ts?: unknown; dur?: unknown; pid?: unknown; tid?: unknown; args?: Record<string, unknown> }

/** The format's rules; returns the problems found (empty when the document is valid). */
function validate(doc: unknown): string[] {
  const problems: string[] = [];
  const events = (Array.isArray(doc) ? doc : (doc as { traceEvents?: unknown }).traceEvents) as Ev[] | undefined;
  if (!Array.isArray(events)) return ['no traceEvents array'];
  const byTrack = new Map<string, Ev[]>();
  const threadNames = new Set<string>();
  const processNames = new Set<unknown>();
  events.forEach((e, i) => {
    if (typeof e.name !== 'string' || e.name === '') problems.push(`#${i}: name`);
    if (typeof e.ph !== 'string' || !['X', 'B', 'E', 'i', 'I', 'M', 'C', 'b', 'e', 'n'].includes(e.ph)) problems.push(`#${i}: ph ${String(e.ph)}`);
    if (typeof e.ts !== 'number' || !Number.isFinite(e.ts) || e.ts < 0) problems.push(`#${i}: ts`);
    if (!Number.isInteger(e.pid)) problems.push(`#${i}: pid`);
    if (!Number.isInteger(e.tid)) problems.push(`#${i}: tid`);
    if (e.ph === 'X' && (typeof e.dur !== 'number' || e.dur < 0)) problems.push(`#${i}: X without a duration`);
    if (e.ph === 'M') {
      if (e.name === 'thread_name' && typeof e.args?.name === 'string') threadNames.add(`${String(e.pid)}/${String(e.tid)}`);
      if (e.name === 'process_name' && typeof e.args?.name === 'string') processNames.add(e.pid);
      return;
    }
    const key = `${String(e.pid)}/${String(e.tid)}`;
    byTrack.set(key, [...(byTrack.get(key) ?? []), e]);
  });
  for (const [key, evs] of byTrack) {
    if (!threadNames.has(key)) problems.push(`track ${key} has no thread_name`);
    if (!processNames.has(evs[0]?.pid)) problems.push(`process ${String(evs[0]?.pid)} has no process_name`);
    // ts never goes back on a track, in file order.
    for (let i = 1; i < evs.length; i += 1) if ((evs[i]?.ts as number) < (evs[i - 1]?.ts as number)) problems.push(`track ${key}: ts goes back at ${String(evs[i]?.name)}`);
    // X slices nest or are disjoint.
    const xs = evs.filter((e) => e.ph === 'X').map((e) => ({ name: String(e.name), a: e.ts as number, b: (e.ts as number) + (e.dur as number) }))
      .sort((p, q) => p.a - q.a || q.b - p.b);
    const stack: { name: string; a: number; b: number }[] = [];
    for (const x of xs) {
      while (stack.length > 0 && (stack[stack.length - 1]?.b as number) <= x.a) stack.pop();
      const parent = stack[stack.length - 1];
      if (parent !== undefined && x.b > parent.b) problems.push(`track ${key}: ${x.name} [${x.a},${x.b}] overlaps ${parent.name} [${parent.a},${parent.b}]`);
      stack.push(x);
    }
    // B/E balance.
    let depth = 0;
    for (const e of evs) {
      if (e.ph === 'B') depth += 1;
      if (e.ph === 'E') depth -= 1;
      if (depth < 0) problems.push(`track ${key}: E without B`);
    }
    if (depth !== 0) problems.push(`track ${key}: ${depth} B without E`);
  }
  return problems;
}

type Kfunc = Extract<TraceEvent, { kind: 'kfunc' }>;

/** Every kfunc call of the world's trace is an X slice with its name and return value. */
function expectCallsAsSlices(world: World, s: Session | null, doc: ReturnType<typeof perfettoTrace>): void {
  const calls = (s?.events() ?? []).filter((e): e is Kfunc => e.kind === 'kfunc');
  // In the order the calls returned (a slice ends at its call's return).
  const slices = doc.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'kfunc').sort((a, b) => a.ts + (a.dur ?? 0) - (b.ts + (b.dur ?? 0)));
  expect(slices.map((e) => `${e.name} = ${String(e.args?.ret)}`)).toEqual(calls.map((c) => `${c.name} = ${c.ret}`));
  void world;
}

function threadName(doc: ReturnType<typeof perfettoTrace>, tid: number): string | undefined {
  const m = doc.traceEvents.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.tid === tid);
  return m?.args?.name as string | undefined;
}

describe('Perfetto trace-event export', () => {
  test('the seed scenario: valid, a track per task, I/O and irq_work tracks, every kfunc call a slice with its return value', () => {
    const s = scenario({ object: fileReaderObject(), cache: 'cold' }).simulate();
    const doc = perfettoTrace(s.world, 'seed');
    expect(validate(JSON.parse(JSON.stringify(doc)))).toEqual([]);
    const names = doc.traceEvents.filter((e) => e.name === 'thread_name').map((e) => e.args?.name);
    for (const t of s.world.tasks.values()) expect(names).toContain(`pid ${t.pid} ${t.comm}`);
    expect(names).toContain('I/O');
    expect(names).toContain('irq_work');
    expectCallsAsSlices(s.world, s, doc);
    // The callback's reads slept for I/O: an io_wait slice inside a bpf_dynptr_read slice, inside the callback's.
    const pid = [...s.world.tasks.keys()][0] as number;
    const mine = doc.traceEvents.filter((e) => e.ph === 'X' && e.tid === pid);
    const inside = (outer: { ts: number; dur?: number }, inner: { ts: number; dur?: number }): boolean =>
      outer.ts <= inner.ts && inner.ts + (inner.dur ?? 0) <= outer.ts + (outer.dur ?? 0);
    const waits = mine.filter((e) => e.name === 'io_wait');
    const read = mine.find((e) => e.name === 'bpf_dynptr_read' && waits.some((w) => inside(e, w)));
    expect(read?.args?.ret).toBe('0');
    const cb = mine.find((e) => e.name === 'task_work_callback' && read !== undefined && inside(e, read));
    expect(cb?.cat).toBe('bpf_prog');
    // The I/O track holds the page reads the trace shows.
    const reads = s.events().filter((e) => e.kind === 'io_complete').length;
    expect(doc.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'io')).toHaveLength(reads);
  });

  test('every example scenario, and seeded schedules of the seed, export valid traces', () => {
    const files = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) {
      const run = runScenario(parseScenario(JSON.parse(readFileSync(join(ROOT, 'examples', f), 'utf8')), f));
      const doc = perfettoTrace(run.session.world, f);
      expect(validate(JSON.parse(JSON.stringify(doc))), f).toEqual([]);
      expectCallsAsSlices(run.session.world, run.session, doc);
    }
    for (const seed of [1, 2, 3]) {
      const s = scenario({ object: directReaderObject('lsm.s/file_open'), cache: 'cold' }).simulate(seededChooser(seed));
      expect(validate(perfettoTrace(s.world)), `seed ${seed}`).toEqual([]);
    }
  });

  test('overlapping page reads of several tasks go to separate I/O lanes, each named', () => {
    const s = new Session();
    s.createFile({ path: '/big', content: content.pattern(9), size: 8 * 4096 });
    for (let i = 0; i < 3; i += 1) s.spawn({ comm: `r${i}`, script: [{ sys: 'open', path: '/big', fd: 'f' }, { sys: 'read', fd: 'f', offset: i * 8192, len: 8192 }, { sys: 'close', fd: 'f' }] });
    s.simulate();
    const doc = perfettoTrace(s.world);
    expect(validate(doc)).toEqual([]);
    const ioTids = new Set(doc.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'io').map((e) => e.tid));
    expect(ioTids.size).toBeGreaterThan(1); // three tasks waited at once
    for (const tid of ioTids) expect(threadName(doc, tid)).toMatch(/^I\/O/);
  });

  test('the validator refuses what the format forbids', () => {
    const base = { pid: 1, tid: 1, cat: 'x' };
    const meta = [{ name: 'process_name', ph: 'M', ts: 0, pid: 1, tid: 0, args: { name: 'p' } }, { name: 'thread_name', ph: 'M', ts: 0, pid: 1, tid: 1, args: { name: 't' } }];
    expect(validate({ traceEvents: [...meta, { ...base, name: 'a', ph: 'X', ts: 0, dur: 10 }, { ...base, name: 'b', ph: 'X', ts: 5, dur: 10 }] })).toHaveLength(1);
    expect(validate({ traceEvents: [...meta, { ...base, name: 'a', ph: 'X', ts: 5, dur: 1 }, { ...base, name: 'b', ph: 'i', ts: 2 }] })).toHaveLength(1);
    expect(validate({ traceEvents: [meta[0], { ...base, name: 'a', ph: 'X', ts: 0, dur: 1 }] })).toHaveLength(1);
    expect(validate({ traceEvents: [...meta, { ...base, name: 'a', ph: 'X', ts: 0 }] })).toHaveLength(1);
    expect(validate({ traceEvents: [...meta, { ...base, ph: 'X', ts: 0, dur: 1 }] })).toHaveLength(1);
    expect(validate({ traceEvents: [...meta, { ...base, name: 'a', ph: 'B', ts: 0 }] })).toHaveLength(1);
    expect(validate({ traceEvents: [...meta, { ...base, name: 'a', ph: 'X', ts: 0, dur: 10 }, { ...base, name: 'b', ph: 'X', ts: 2, dur: 3 }] })).toEqual([]);
  });
});
