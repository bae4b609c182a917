/**
 * What the cases of the keyless maps (QUEUE and STACK: queue.ts; BLOOM_FILTER: bloom.ts), and of the
 * TASK_STORAGE maps, whose key is a task (task_storage.ts), share: the
 * object around a program's calls (its results in `<id>_rets`, the guest's pid filter, a callback
 * for `bpf_for_each_map_elem`), and the case made of it. (A value's stores into `v`:
 * properties/queue.ts `storeValue`.)
 */
import fc from 'fast-check';
import { program as P, type BpfObject, type MapDecl, type Op } from '../../src/index.ts';
import { FRETS, pidFilterOps } from './file.ts';
import type { CallRecord, ConfCase, PacketRun, SysMapOp } from './lib.ts';
import { lookup } from './batch.ts';

type Sys = Omit<SysMapOp, 'map'>;

/**
 * User space's other commands on a keyless map, for the generated cases to mix into their pushes,
 * peeks and pops: a key where the map has none, delete and get_next_key, a peek or pop with a flag,
 * a batch, a freeze (after which a push is -EPERM). The kernel's errno decides each.
 */
export function otherSysArb(size: number): fc.Arbitrary<Sys> {
  const buf = new Uint8Array(size).fill(0xee);
  const key = fc.integer({ min: 0, max: 3 });
  return fc.oneof(
    fc.record({ op: fc.constantFrom('lookup' as const, 'update' as const, 'lookup_and_delete' as const, 'delete' as const, 'next_key' as const), key }).map((o) => ({ ...o, flags: 0n, bytes: buf })),
    fc.constantFrom<Sys>({ op: 'delete_null', key: 0, flags: 0n, bytes: buf }, { op: 'first_key', key: 0, flags: 0n, bytes: buf }, { op: 'freeze', key: 0, flags: 0n, bytes: buf }, lookup(null, 1, size)),
    fc.record({ op: fc.constantFrom('peek' as const, 'pop' as const), flags: fc.constantFrom(1n, 2n, 4n, 8n, 16n) }).map((o) => ({ ...o, key: 0, bytes: buf })),
  );
}

/** A generated sequence with up to four of `otherSysArb`'s commands, as `other`, for its value size. */
export function withOtherSys<T extends { readonly size: number }>(arb: fc.Arbitrary<T>): fc.Arbitrary<T & { readonly other: Sys[] }> {
  return arb.chain((q) => fc.array(otherSysArb(q.size), { maxLength: 4 }).map((other) => ({ ...q, other })));
}

/** `extra` mixed into `ops`: extra[i] after ops[i], the rest at the end. */
export function interleave<T>(ops: readonly T[], extra: readonly T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < Math.max(ops.length, extra.length); i += 1) {
    if (i < ops.length) out.push(ops[i] as T);
    if (i < extra.length) out.push(extra[i] as T);
  }
  return out;
}

/**
 * The object of a keyless map case `id`: `maps`, the program `body` in `section` (after the guest's
 * pid filter), a `v` of at least 16 bytes and a `u` of 8 on its stack, the globals `<id>_rets` (and
 * `<id>_pid` on the guest), and, when `callback` names one, a static callback for
 * `bpf_for_each_map_elem` that returns 0.
 */
export function keylessObject(id: string, maps: MapDecl[], body: readonly Op[], o: { readonly section: string; readonly guest: boolean; readonly slot: number; readonly callback: string | null }): BpfObject {
  const g = (n: string): string => `${id}_${n}`;
  return {
    name: id, maps,
    globals: [{ name: g('rets'), kind: 'u64s', size: FRETS }, ...(o.guest ? [{ name: g('pid'), kind: 'int' as const }] : [])],
    subprogs: o.callback !== null ? [{ name: o.callback, isStatic: true, returns: 'long', params: [{ name: 'm', type: 'map' }, { name: 'k', type: 'ptr' }, { name: 'val', type: 'ptr' }, { name: 'c', type: 'ptr' }], body: [P.ret(P.imm(0))] }] : [],
    programs: [{
      name: id, section: o.section,
      locals: [P.local('v', { bytes: Math.max(o.slot, 16) }), P.local('u', { bytes: 8 })],
      body: [...(o.guest ? pidFilterOps(g('pid')) : []), ...body, P.label('out'), P.ret(P.imm(0))],
    }],
  };
}

/** A keyless map case: its object and calls, its syscalls, and whether it is a verifier case, generated, a packet run. */
export function keylessCase(id: string, rule: string, note: string, built: { readonly object: BpfObject; readonly calls: CallRecord[] },
  o: { readonly sys: SysMapOp[] | null; readonly reject: boolean; readonly generated: boolean; readonly run?: PacketRun }): ConfCase {
  return {
    id, rule, note, ...built, ...(o.sys === null ? {} : { sys: o.sys }), ...(o.run === undefined ? {} : { run: o.run }),
    ...(o.reject ? { verifier: true } : {}), ...(o.generated ? { generated: true } : {}),
  };
}
