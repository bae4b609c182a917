/**
 * What the cases of the keyless maps (QUEUE and STACK: queue.ts; BLOOM_FILTER: bloom.ts) share: the
 * object around a program's calls (its results in `<id>_rets`, the guest's pid filter, a callback
 * for `bpf_for_each_map_elem`), and the case made of it. (A value's stores into `v`:
 * properties/queue.ts `storeValue`.)
 */
import { program as P, type BpfObject, type MapDecl, type Op } from '../../src/index.ts';
import { FRETS, pidFilterOps } from './file.ts';
import type { CallRecord, ConfCase, PacketRun, SysMapOp } from './lib.ts';

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
