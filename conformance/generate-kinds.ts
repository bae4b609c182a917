/**
 * Generated conformance cases over the dynptr kinds of issue 14: fast-check programs of three
 * families — a RINGBUF dynptr (in `syscall`, `tc` or `xdp` programs), an SKB dynptr (`tc`,
 * `cgroup_skb`, `socket`) and an XDP dynptr (`xdp`) — each with an optional second dynptr (a clone,
 * a second ring record, a LOCAL one, an SKB_META one), then a sequence of the dynptr kfuncs and
 * helpers, the kfuncs around them (memset, copy, probe-read, copy-from-user), the ring buffer
 * helpers and the packet helpers, with offsets and sizes biased to the edges: 0, the dynptr's size
 * and its neighbours, the linear part's end and the frag boundaries of a packet, 0xffff and the u32
 * edges. Packets are run with `BPF_PROG_TEST_RUN` (sizes across the linear limits, XDP metadata and
 * linear sizes, `data_size_out` hints smaller than the packet); rings are read by user space.
 *
 * The programs are the kind the verifier accepts: slices are used right after they are taken (a
 * later packet change invalidates them), `slice_rdwr` only where packets may be written, every ring
 * record is released at the end. `KERNSIM_CONF_GENERATED_KINDS` sets the count (default 320).
 */
import fc from 'fast-check';
import { KindBuilder, KMEM, KOUT, KSBUF, KSRC, packetBytes, RING_SIZE, type KSlot, type Section } from './cases/kinds.ts';
import type { ConfCase, PacketRun } from './cases/lib.ts';

const U32 = 0x1_0000_0000n;
const XDP_LINEAR = 4096 - 256 - 320;
const SKB_LINEAR = 4096 - 64 - 320;

type Family = 'ring' | 'skb' | 'xdp';
type Second = 'none' | 'clone' | 'ring' | 'local' | 'meta';

type GOp =
  | { k: 'read'; len: number; off: bigint; flags: bigint; slot: KSlot }
  | { k: 'write'; off: bigint; len: number; flags: bigint; slot: KSlot; srcOff: number }
  | { k: 'adjust'; start: bigint; end: bigint; slot: KSlot }
  | { k: 'size' | 'isNull' | 'isRdonly'; slot: KSlot }
  | { k: 'slice'; off: bigint; sz: number; buf: boolean; rdwr: boolean; slot: KSlot; load: boolean; store: boolean }
  | { k: 'data'; off: bigint; len: number; slot: KSlot; load: boolean; store: boolean }
  | { k: 'memset'; off: bigint; size: bigint; val: number; slot: KSlot }
  | { k: 'copy'; dst: KSlot; doff: bigint; soff: bigint; size: bigint }
  | { k: 'probe'; fn: string; off: bigint; size: number; src: number | null; slot: KSlot }
  | { k: 'pull'; len: bigint }
  | { k: 'adjustHead'; delta: number }
  | { k: 'ctxLen' }
  | { k: 'output'; size: number; flags: bigint; srcOff: number }
  | { k: 'reserve'; size: number; flags: bigint; commit: 'submit' | 'discard'; cflags: bigint; fill: number }
  | { k: 'query'; flags: bigint };

interface Packet {
  readonly size: number;
  readonly seed: number;
  readonly dataSizeOut: number;
  readonly meta: number;
  readonly dataEnd: number | null;
}

export interface GenKindCase {
  readonly family: Family;
  readonly section: Section;
  readonly first: { size: bigint; flags: bigint };
  readonly second: Second;
  readonly secondSize: number;
  readonly packet: Packet | null;
  readonly ops: readonly GOp[];
  readonly release: { discard: boolean; flags: bigint };
}

/** Offsets biased to 0, the size `s`, and each boundary `b` (±1), the 16-bit and 32-bit edges. */
function offArb(s: number, bounds: readonly number[]): fc.Arbitrary<bigint> {
  const near = [0, 1, 2, s - 1, s, s + 1, Math.floor(s / 2), ...bounds.flatMap((b) => [b - 1, b, b + 1])].filter((x) => x >= 0).map(BigInt);
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...near) },
    { weight: 1, arbitrary: fc.constantFrom(0xffffn, 0x10000n, 0xffff_ffffn, U32, U32 + 1n, (1n << 64n) - 1n, (1n << 24n) - 1n) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: Math.max(1, s + 16) }).map(BigInt) },
  );
}

/** A length within `max` (the buffer the verifier pairs it with), biased to the edges. */
function lenArb(s: number, max: number): fc.Arbitrary<number> {
  const edges = [0, 1, 2, 8, s - 1, s, s + 1, max].filter((x) => x >= 0 && x <= max);
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...edges) }, { weight: 2, arbitrary: fc.integer({ min: 0, max }) });
}

const flagsArb: fc.Arbitrary<bigint> = fc.oneof({ weight: 10, arbitrary: fc.constant(0n) }, { weight: 1, arbitrary: fc.constantFrom(1n, 2n, 3n, 4n, 1n << 32n) });
const slotArb = (second: Second): fc.Arbitrary<KSlot> => (second === 'none' ? fc.constant<KSlot>('d') : fc.oneof({ weight: 3, arbitrary: fc.constant<KSlot>('d') }, { weight: 2, arbitrary: fc.constant<KSlot>('e') }));

/** The dynptr size to bias offsets around, and the boundaries inside it (linear part, frags). */
function geometry(family: Family, section: Section, first: bigint, p: Packet | null): { s: number; bounds: number[] } {
  if (family === 'ring' || p === null) return { s: Number(first % U32) & 0xffffff, bounds: [] };
  if (family === 'skb') {
    const l3 = section !== 'tc';
    return { s: Math.max(0, p.size - (l3 ? 14 : 0)), bounds: [] };
  }
  const s = Math.max(0, p.size - p.meta);
  const linear = Math.min(p.dataEnd === null ? p.size : p.dataEnd, XDP_LINEAR + p.meta) - p.meta;
  const bounds = [linear];
  for (let b = linear + 4096; b < s; b += 4096) bounds.push(b);
  return { s, bounds: [...bounds, 0xffff, 0x10000] };
}

function opsArb(family: Family, section: Section, second: Second, g: { s: number; bounds: number[] }, secondSize: number): fc.Arbitrary<GOp[]> {
  const slot = slotArb(second);
  const off = offArb(g.s, g.bounds);
  const writable = section === 'tc' || section === 'xdp';
  const both = second !== 'none';
  const probeFns = section === 'syscall'
    ? ['bpf_probe_read_kernel_dynptr', 'bpf_probe_read_kernel_str_dynptr', 'bpf_probe_read_user_dynptr', 'bpf_copy_from_user_dynptr', 'bpf_copy_from_user_str_dynptr']
    : ['bpf_probe_read_kernel_dynptr', 'bpf_probe_read_kernel_str_dynptr', 'bpf_probe_read_user_dynptr', 'bpf_probe_read_user_str_dynptr'];
  const gens: { weight: number; arbitrary: fc.Arbitrary<GOp> }[] = [
    { weight: 5, arbitrary: fc.record({ k: fc.constant('read' as const), len: lenArb(g.s, KOUT), off, flags: flagsArb, slot }) },
    { weight: 4, arbitrary: fc.record({ k: fc.constant('write' as const), off, len: lenArb(g.s, 128), flags: flagsArb, slot, srcOff: fc.constantFrom(0, 7, 128) }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('adjust' as const), start: off, end: off, slot }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constantFrom('size' as const, 'isNull' as const, 'isRdonly' as const), slot }) },
    {
      weight: 4,
      arbitrary: fc.record({ k: fc.constant('slice' as const), off, sz: lenArb(g.s, KSBUF), buf: fc.boolean(), rdwr: writable ? fc.boolean() : fc.constant(false), slot, load: fc.boolean(), store: fc.boolean() })
        .map((o) => ({ ...o, load: o.load && o.sz >= 1, store: o.store && o.rdwr && o.sz >= 1 })),
    },
    {
      weight: 2,
      arbitrary: fc.record({ k: fc.constant('data' as const), off, len: lenArb(g.s, 32), slot, load: fc.boolean(), store: fc.boolean() })
        .map((o) => ({ ...o, load: o.load && o.len >= 1, store: o.store && o.len >= 1 && family === 'ring' && o.slot === 'd' })),
    },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('memset' as const), off, size: offArb(g.s, g.bounds), val: fc.integer({ min: 0, max: 255 }), slot }) },
    {
      weight: 3,
      arbitrary: fc.record({ k: fc.constant('probe' as const), fn: fc.constantFrom(...probeFns), off, size: lenArb(g.s, 200), src: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 50) }, { weight: 1, arbitrary: fc.constant(null) }), slot })
        .map((o) => ({ ...o, src: o.fn.includes('kernel') ? o.src : null, size: o.src !== null && o.fn.includes('kernel') ? Math.min(o.size, KSRC - (o.src ?? 0)) : o.size })),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('output' as const), size: fc.constantFrom(0, 1, 8, 13, 100, 200), flags: flagsArb, srcOff: fc.constantFrom(0, 55) }) },
    {
      weight: 1,
      arbitrary: fc.record({ k: fc.constant('reserve' as const), size: fc.constantFrom(0, 1, 4, 8, 16, 100, 4000, 4096), flags: flagsArb, commit: fc.constantFrom('submit' as const, 'discard' as const), cflags: fc.constantFrom(0n, 1n, 2n, 8n), fill: fc.integer({ min: 1, max: 255 }) }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('query' as const), flags: fc.constantFrom(0n, 1n, 2n, 3n, 4n, 9n) }) },
  ];
  if (both) {
    const size = offArb(Math.min(g.s, secondSize || g.s), g.bounds);
    gens.push({ weight: 3, arbitrary: fc.record({ k: fc.constant('copy' as const), dst: fc.constantFrom<KSlot>('d', 'e'), doff: off, soff: off, size }) });
  }
  if (family === 'skb') gens.push({ weight: 1, arbitrary: fc.constant({ k: 'ctxLen' as const }) });
  if (section === 'tc') gens.push({ weight: 2, arbitrary: fc.record({ k: fc.constant('pull' as const), len: fc.oneof(fc.constantFrom(0n, 1n, 14n, BigInt(g.s), BigInt(g.s + 1), 0xffff_ffffn), fc.integer({ min: 0, max: g.s }).map(BigInt)) }) });
  if (section === 'xdp') gens.push({ weight: 2, arbitrary: fc.record({ k: fc.constant('adjustHead' as const), delta: fc.oneof(fc.constantFrom(0, -1, -14, -64, -215, -216, -217, -256, 1, 14, g.s - 14, g.s - 13), fc.integer({ min: -260, max: 200 })) }) });
  return fc.array(fc.oneof(...gens), { minLength: 2, maxLength: 14 });
}

const sectionOf: Readonly<Record<Family, fc.Arbitrary<Section>>> = {
  ring: fc.constantFrom<Section>('syscall', 'syscall', 'tc', 'xdp'),
  skb: fc.constantFrom<Section>('tc', 'tc', 'cgroup_skb/egress', 'cgroup_skb/ingress', 'socket'),
  xdp: fc.constant<Section>('xdp'),
};

function packetArb(family: Family, section: Section): fc.Arbitrary<Packet | null> {
  if (section === 'syscall') return fc.constant(null);
  const sizes = family === 'xdp' || section === 'xdp'
    ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(14, 64, 100, XDP_LINEAR, XDP_LINEAR + 1, 5000, XDP_LINEAR + 4096, XDP_LINEAR + 4097, 9000) }, { weight: 2, arbitrary: fc.integer({ min: 14, max: 12000 }) })
    : fc.oneof({ weight: 3, arbitrary: fc.constantFrom(14, 15, 54, 64, 100, 1000, SKB_LINEAR - 1, SKB_LINEAR, SKB_LINEAR + 1) }, { weight: 2, arbitrary: fc.integer({ min: 14, max: SKB_LINEAR }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 13 }) });
  const xdp = section === 'xdp';
  return fc.record({
    size: sizes,
    seed: fc.integer({ min: 0, max: 255 }),
    hint: fc.oneof({ weight: 6, arbitrary: fc.constant(-1) }, { weight: 2, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 12000 }) }),
    meta: xdp ? fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.constantFrom(4, 8, 32, 252) }, { weight: 1, arbitrary: fc.constantFrom(6, 256) }) : fc.constant(0),
    linear: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 4000 }) }),
  }).map((r) => {
    const meta = Math.min(r.meta, r.size);
    // ctx_in: xdp always has data_end when it has metadata; an skb's data_end is a 6.19 input (6.18: -EINVAL).
    const dataEnd = xdp ? (r.linear === null ? (meta > 0 ? r.size : null) : Math.min(r.size, Math.max(meta, r.linear))) : r.linear === null ? null : Math.min(r.size, r.linear);
    const dataSizeOut = r.hint === -1 ? 0 : r.hint === 0 ? r.size : r.hint;
    return { size: r.size, seed: r.seed, dataSizeOut, meta, dataEnd };
  });
}

export const genKindArb: fc.Arbitrary<GenKindCase> = fc.constantFrom<Family>('ring', 'ring', 'skb', 'skb', 'xdp', 'xdp').chain((family) => sectionOf[family].chain((section) => fc.record({
  family: fc.constant(family),
  section: fc.constant(section),
  first: fc.record({
    size: family === 'ring' ? fc.oneof({ weight: 5, arbitrary: fc.constantFrom(0n, 1n, 8n, 16n, 64n, 255n, 256n, 1000n, 2040n, 4080n, 4088n) }, { weight: 1, arbitrary: fc.constantFrom(4096n, 1n << 24n, U32 + 16n) }) : fc.constant(0n),
    flags: flagsArb,
  }),
  second: fc.constantFrom<Second>('none', 'none', 'clone', 'ring', 'local', ...(section === 'tc' ? ['meta' as const] : [])),
  secondSize: fc.constantFrom(0, 16, KMEM, 100, 300),
  packet: packetArb(family, section),
  release: fc.record({ discard: fc.boolean(), flags: fc.constantFrom(0n, 0n, 1n, 2n) }),
}).chain((c) => opsArb(c.family, c.section, c.second, geometry(c.family, c.section, c.first.size, c.packet), c.secondSize).map((ops): GenKindCase => ({ ...c, ops })))));

/**
 * What P9 (properties/kinds.test.ts) breaks in a generated case: the ring records are not released
 * (`drop_release`), or a clone of the ring dynptr is read after the record was released
 * (`use_clone_after_release`).
 */
export type KindMutation = 'none' | 'drop_release' | 'use_clone_after_release';

/** The case as a program value. */
export function buildKindCase(id: string, g: GenKindCase, mutation: KindMutation = 'none'): ConfCase {
  const b = new KindBuilder(id, g.section);
  const use = (s: KSlot): KSlot => (g.second === 'none' ? 'd' : s);
  switch (g.family) {
    case 'ring': b.reserveDynptr(g.first.size, g.first.flags); break;
    case 'skb': b.fromSkb(g.first.flags); break;
    case 'xdp': b.fromXdp(g.first.flags); break;
  }
  switch (g.second) {
    case 'clone': b.clone('d', 'e'); break;
    case 'ring': b.reserveDynptr(g.secondSize, 0, 'e'); break;
    case 'local': b.fromMem(Math.min(g.secondSize, KMEM), 'e'); break;
    case 'meta': b.fromSkbMeta(0, 'e'); break;
    default: break;
  }
  for (const op of g.ops) {
    switch (op.k) {
      case 'read': b.read(op.len, op.off, op.flags, use(op.slot)); break;
      case 'write': b.write(op.off, Math.min(op.len, KSRC - op.srcOff), op.flags, use(op.slot), op.srcOff); break;
      case 'adjust': b.adjust(op.start, op.end, use(op.slot)); break;
      case 'size': b.size(use(op.slot)); break;
      case 'isNull': b.isNull(use(op.slot)); break;
      case 'isRdonly': b.isRdonly(use(op.slot)); break;
      case 'slice': b.slice(op.off, op.sz, op.buf, op.rdwr, use(op.slot), { load: op.load, store: op.store ? 0x5c : null }); break;
      case 'data': b.data(op.off, op.len, use(op.slot), { load: op.load, store: op.store ? 0x6d : null }); break;
      case 'memset': b.memset(op.off, op.size, op.val, use(op.slot)); break;
      case 'copy': b.copy(op.dst, op.doff, op.dst === 'd' ? 'e' : 'd', op.soff, op.size); break;
      case 'probe': b.probe(op.fn, op.off, op.size, op.src === null ? { addr: 0 } : { src: op.src }, use(op.slot)); break;
      case 'pull': b.pullData(op.len); break;
      case 'adjustHead': b.adjustHead(op.delta); break;
      case 'ctxLen': b.ctxLen(); break;
      case 'output': b.ringOutput(op.size, op.flags, op.srcOff); break;
      case 'reserve': b.ringReserve(op.size, op.flags, op.commit, op.cflags, op.fill); break;
      case 'query': b.ringQuery(op.flags); break;
    }
  }
  // Every ring record is released on the way out (a clone shares d's).
  if (mutation !== 'drop_release') {
    if (g.second === 'ring') (g.release.discard ? b.discardDynptr('e', g.release.flags) : b.submitDynptr('e', g.release.flags));
    if (g.family === 'ring') (g.release.discard ? b.discardDynptr('d', g.release.flags) : b.submitDynptr('d', g.release.flags));
  }
  if (mutation === 'use_clone_after_release') b.read(1, 0, 0, 'e');
  const p = g.packet;
  const run: PacketRun | undefined = p === null ? undefined : {
    data: packetBytes(p.size, p.seed), dataSizeOut: p.dataSizeOut,
    ...(g.section === 'xdp' ? (p.dataEnd === null && p.meta === 0 ? {} : { ctx: { kind: 'xdp' as const, data: p.meta, dataEnd: p.dataEnd ?? p.size } }) : p.dataEnd === null ? {} : { ctx: { kind: 'skb' as const, dataEnd: p.dataEnd } }),
  };
  const what = `${g.family} in ${g.section}${g.second === 'none' ? '' : ` + ${g.second}`}${p === null ? '' : `, packet ${p.size}${p.meta > 0 ? ` (meta ${p.meta})` : ''}${p.dataEnd !== null ? ` data_end ${p.dataEnd}` : ''}`}, ${g.ops.length} ops`;
  return b.build('generated (kinds)', what, { generated: true, ...(run === undefined ? {} : { run }), ring: true });
}

/** `count` generated cases from `seed` (deterministic). */
export function generatedKindCases(count: number, seed: number): ConfCase[] {
  return fc.sample(genKindArb, { numRuns: count, seed }).map((g, i) => buildKindCase(`gk${i}`, g));
}

export { RING_SIZE };
