/**
 * Conformance cases as program values. A case is one `SEC("syscall")` program in an object of its
 * own globals (all named after the case, so cases can share one compiled object): `<id>_rets`, a
 * `__u64` array each call's return value is stored into (a pointer result as 1/0), `<id>_mem` (the
 * LOCAL dynptr's memory), `<id>_out` (read destination) and `<id>_sbuf` (slice buffer). The source
 * of a write is the rets array itself, so writes move non-zero bytes and the memory is compared too.
 */
import { LoadError, program as P, Session, type BpfObject, type KernelVersion, type MapDecl, type Op } from '../../src/index.ts';

export const RETS = 64;
export const OUT = 64;
export const SBUF = 64;
/** Bytes of the rets array that a write may take as its source. */
export const SRC_MAX = 64;

export interface CallRecord {
  /** Index into the rets array. */
  readonly index: number;
  readonly fn: string;
  /** The call as written, for reports. */
  readonly text: string;
}

/** A packet program's test run: `data_in`, `data_size_out` (0: no limit), and `ctx_in`. */
export interface PacketRun {
  readonly data: Uint8Array;
  readonly dataSizeOut: number;
  readonly ctx?: { readonly kind: 'skb' | 'xdp'; readonly data?: number; readonly dataEnd?: number };
}

/**
 * User memory of the process that runs the program: `bytes` (whole pages) at the fixed, page-aligned
 * address `addr`, readable and writable, and the page after it PROT_NONE (a fault). The loader maps
 * it before any program runs (MAP_FIXED_NOREPLACE: an address the kernel left free); the model's task
 * writes the same bytes there (`Session.writeUser`), so the model's per-byte user memory covers exactly
 * the kernel's mapped pages.
 */
export interface UserPages {
  readonly addr: bigint;
  readonly bytes: Uint8Array;
}

/** The page size the loader maps user memory in (x86-64). */
export const USER_PAGE = 4096;

export interface ConfCase {
  readonly id: string;
  /** The rule or group this case exercises (a row of docs/conformance.md). */
  readonly rule: string;
  readonly note: string;
  readonly object: BpfObject;
  readonly calls: readonly CallRecord[];
  /** Verifier cases: the model is expected to reject the program. */
  readonly verifier?: boolean;
  /** Generated cases are marked so the report can count them. */
  readonly generated?: boolean;
  /** A packet program: run with this packet (`BPF_PROG_TEST_RUN` with data). */
  readonly run?: PacketRun;
  /** Ring buffer maps user space reads after the run. */
  readonly rings?: readonly string[];
  /** User memory mapped for the run (a `syscall` program's current task: the loader, the model's task). */
  readonly user?: readonly UserPages[];
  /**
   * Hook programs instead of a test run (conformance/cases/hooks.ts): the object's programs are
   * attached in its order, `<id>_pid` is set to the runner's pid, the runner forks (a child that exits
   * at once, waited for) or sleeps (one nanosleep), and the programs are detached.
   */
  readonly hook?: { readonly action: 'fork' | 'sleep' };
  /**
   * User space's map syscalls after the run, in order (host tier: `@sys` lines of the loader's run
   * file): `bpf(BPF_MAP_LOOKUP_ELEM)` into a buffer of `bytes`' length holding `bytes` before the call,
   * or `bpf(BPF_MAP_UPDATE_ELEM)` from `bytes`. Each one's result and the buffer after it are compared.
   */
  readonly sys?: readonly SysMapOp[];
}

/** One map syscall from user space (ConfCase.sys). */
export interface SysMapOp {
  /**
   * `lookup_and_delete`: `bpf(BPF_MAP_LOOKUP_AND_DELETE_ELEM)`, into the buffer as a lookup; `delete`:
   * `bpf(BPF_MAP_DELETE_ELEM)`; `next_key`: `bpf(BPF_MAP_GET_NEXT_KEY)` of `key` into the buffer (the
   * key's 4 bytes), `first_key` the same of a NULL key (`key` unused); `create`: `bpf(BPF_MAP_CREATE)`
   * of a map whose type is `map` (a model type name), max_entries `key`, map_flags the low 32 bits of
   * `flags`, key_size bits 32-47 and value_size bits 48-63, map_extra the first 8 bytes of `bytes`
   * when it has 8 (the map closed at once).
   */
  readonly op: 'lookup' | 'update' | 'lookup_and_delete' | 'delete' | 'next_key' | 'first_key' | 'create' | 'freeze'
    /** A queue's or stack's: `lookup`, `update`, `lookup_and_delete`, `delete` with a NULL key (`key` unused). */
    | 'peek' | 'push' | 'pop' | 'delete_null'
    /**
     * The batch commands (`bytes`: the count, u32; out_batch, u32; batch.flags, u64; the count's keys,
     * 4 bytes each; the values), `key` the in_batch (`_start`: NULL), `flags` the elem_flags.
     */
    | 'lookup_batch' | 'lookup_batch_start' | 'lookup_and_delete_batch' | 'lookup_and_delete_batch_start' | 'update_batch' | 'delete_batch';
  readonly map: string;
  readonly key: number;
  readonly flags: bigint;
  readonly bytes: Uint8Array;
}

/**
 * A `create` op's `map`: the type to create and, after a colon, the case that creates it. Results are
 * told apart by `map` (`sysPairs`), and cases that share an object may create maps of one type; the
 * loader and the model read the type before the colon (`createdType`).
 */
export const createTarget = (type: string, caseId: string): string => `${type}:${caseId}`;
export const createdType = (map: string): string => map.split(':')[0] ?? map;

/**
 * A case's map syscalls: `ops` on its map `mapName`, or, a `create`, on the type it names in `map`
 * (`createTarget`).
 */
export function caseSys(caseId: string, mapName: string, ops: readonly (Omit<SysMapOp, 'map'> & { readonly map?: string })[]): SysMapOp[] {
  return ops.map((o): SysMapOp => (o.op === 'create' && o.map !== undefined ? { ...o, map: createTarget(o.map, caseId) } : { ...o, map: mapName }));
}

/** An op as the loader's `@sys` and the driver's `SYS` lines write it: `MAP OP KEY FLAGS HEX`. */
export function sysLine(o: SysMapOp): string {
  return `${o.map} ${o.op} ${o.key} ${o.flags} ${Buffer.from(o.bytes).toString('hex')}`;
}

/** A syscall's record, as both tiers compare it: its result and the buffer after it (`err N HEX`). */
export function sysRecord(err: number, hex: string): string {
  return `err ${err} ${hex}`;
}

/** The model's records of `ops`, each made on a session after the case ran, each on its own buffer. */
export function sysRecords(s: Session, ops: readonly SysMapOp[]): string[] {
  return ops.map((o) => {
    const b = Uint8Array.from(o.bytes);
    return sysRecord(sysOp(s, o, b), Buffer.from(b).toString('hex'));
  });
}

/** A batch command on the model over the buffer layout of `SysMapOp` (common/bpf_report.h `map_batch`). */
function batchOp(s: Session, o: SysMapOp, b: Uint8Array): number {
  if (b.length < 16) return -1304;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const count = dv.getUint32(0, true);
  const flags = dv.getBigUint64(8, true);
  const valuesAt = 16 + count * 4;
  if (valuesAt > b.length) return -1304;
  const keysIn = Array.from({ length: count }, (_, i) => dv.getUint32(16 + i * 4, true));
  if (o.op === 'update_batch' || o.op === 'delete_batch') {
    const r = o.op === 'update_batch' ? s.mapUpdateBatch(o.map, keysIn, b.subarray(valuesAt), o.flags) : s.mapDeleteBatch(o.map, keysIn, o.flags);
    dv.setUint32(0, r.count, true);
    return r.ret;
  }
  const start = o.op.endsWith('_start') ? null : o.key;
  const r = o.op.startsWith('lookup_and_delete') ? s.mapLookupAndDeleteBatch(o.map, start, count, { elemFlags: o.flags, flags }) : s.mapLookupBatch(o.map, start, count, { elemFlags: o.flags, flags });
  dv.setUint32(0, r.count, true);
  if (r.outBatch !== null) dv.setUint32(4, r.outBatch, true);
  r.keys.forEach((k, i) => dv.setUint32(16 + i * 4, k, true));
  b.set(r.values.subarray(0, Math.max(0, b.length - valuesAt)), valuesAt);
  return r.ret;
}

/** `o` done on the model, its buffer `b`: its result (a next key is written into `b`, as the kernel copies it out). */
function sysOp(s: Session, o: SysMapOp, b: Uint8Array): number {
  switch (o.op) {
    case 'lookup': return s.mapLookup(o.map, o.key, b, o.flags);
    case 'lookup_and_delete': return s.mapLookupAndDelete(o.map, o.key, b, o.flags);
    case 'update': return s.mapUpdate(o.map, o.key, b, o.flags);
    case 'delete': return s.mapDelete(o.map, o.key);
    case 'freeze': return s.mapFreeze(o.map);
    case 'peek': return s.mapLookup(o.map, null, b, o.flags);
    case 'push': return s.mapUpdate(o.map, null, b, o.flags);
    case 'pop': return s.mapLookupAndDelete(o.map, null, b, o.flags);
    case 'delete_null': return s.mapDelete(o.map, null);
    case 'lookup_batch':
    case 'lookup_batch_start':
    case 'lookup_and_delete_batch':
    case 'lookup_and_delete_batch_start':
    case 'update_batch':
    case 'delete_batch':
      return batchOp(s, o, b);
    case 'create': {
      // map_extra: the buffer's first 8 bytes when it has 8 (common/bpf_report.h `map_sys`).
      const mapExtra = b.length >= 8 ? Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true)) : 0;
      const id = s.createMap({ type: createdType(o.map) as MapDecl['type'], maxEntries: o.key, keySize: Number((o.flags >> 32n) & 0xffffn), valueSize: Number(o.flags >> 48n), flags: Number(o.flags & 0xffff_ffffn), mapExtra });
      if (id < 0) return id;
      s.mapClose(id);
      return 0;
    }
    case 'next_key':
    case 'first_key': {
      const next = s.mapGetNextKey(o.map, o.op === 'first_key' ? null : o.key);
      if (next < 0) return next;
      new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(0, next, true);
      return 0;
    }
  }
}

/**
 * Each op beside the kernel's record of it and the model's: the kernel's are by map name, in order
 * (one object runs many cases' syscalls), so an op's is the one after its map's earlier ops'.
 */
export function sysPairs(ops: readonly SysMapOp[], kernel: ReadonlyMap<string, readonly string[]>, model: readonly string[] | undefined): { op: SysMapOp; kernel: string; model: string; what: string }[] {
  return ops.map((op, i) => {
    const before = ops.slice(0, i).filter((x) => x.map === op.map).length;
    return { op, kernel: kernel.get(op.map)?.[before] ?? '(no result)', model: model?.[i] ?? '(no result)', what: `${op.op} of ${op.map}[${op.key}] flags 0x${op.flags.toString(16)}` };
  });
}

const show = (v: number | bigint): string => {
  const b = BigInt(v);
  return b >= 0x1_0000_0000n ? `0x${b.toString(16)}` : b.toString();
};

export type Slot = 'd' | 'e';

/** Builds one case: each method adds a call and the store of its result. */
export class CaseBuilder {
  private readonly body: Op[] = [];
  private readonly calls: CallRecord[] = [];
  private readonly scalars: { name: string; kind: 'u32' | 'int' }[] = [];
  private n = 0;
  constructor(readonly id: string, readonly memSize = 16) {}

  private g(name: string): string {
    return `${this.id}_${name}`;
  }

  private record(fn: string, args: readonly P.Arg[], text: string, kind: 'scalar' | 'ptr' | 'void' = 'scalar'): this {
    const i = this.n;
    if (i >= RETS) throw new Error(`${this.id}: more than ${RETS} calls`);
    this.n += 1;
    const v = `v${i}`;
    if (kind === 'void') {
      this.body.push(P.call(fn, args));
      return this;
    }
    this.body.push(P.call(fn, args, v));
    if (kind === 'scalar') {
      this.body.push(P.storeAt(this.g('rets'), i, P.r(v)));
    } else {
      // A pointer result is stored as 1 (non-NULL) or 0 (NULL).
      this.body.push(P.mov(`p${i}`, P.imm(0)), P.goto(`L${i}`, P.when(v, '==', P.NULL)), P.mov(`p${i}`, P.imm(1)), P.label(`L${i}`),
        P.storeAt(this.g('rets'), i, P.r(`p${i}`)));
    }
    this.calls.push({ index: i, fn, text });
    return this;
  }

  fromMem(size: number | bigint, flags: number | bigint = 0, slot: Slot = 'd'): this {
    return this.record('bpf_dynptr_from_mem', [P.buf(this.g('mem')), P.imm(size), P.imm(flags), P.dynptr(slot)],
      `bpf_dynptr_from_mem(mem[${this.memSize}], ${show(size)}, ${show(flags)}, &${slot})`);
  }

  read(len: number, off: number | bigint, flags: number | bigint = 0, slot: Slot = 'd'): this {
    return this.record('bpf_dynptr_read', [P.buf(this.g('out')), P.imm(len), P.dynptr(slot), P.imm(off), P.imm(flags)],
      `bpf_dynptr_read(out, ${len}, &${slot}, ${show(off)}, ${show(flags)})`);
  }

  write(off: number | bigint, len: number, flags: number | bigint = 0, slot: Slot = 'd'): this {
    return this.record('bpf_dynptr_write', [P.dynptr(slot), P.imm(off), P.buf(this.g('rets')), P.imm(len), P.imm(flags)],
      `bpf_dynptr_write(&${slot}, ${show(off)}, rets, ${len}, ${show(flags)})`);
  }

  adjust(start: number | bigint, end: number | bigint, slot: Slot = 'd'): this {
    return this.record('bpf_dynptr_adjust', [P.dynptr(slot), P.imm(start), P.imm(end)], `bpf_dynptr_adjust(&${slot}, ${show(start)}, ${show(end)})`);
  }

  size(slot: Slot = 'd'): this {
    return this.record('bpf_dynptr_size', [P.dynptr(slot)], `bpf_dynptr_size(&${slot})`);
  }

  isNull(slot: Slot = 'd'): this {
    return this.record('bpf_dynptr_is_null', [P.dynptr(slot)], `bpf_dynptr_is_null(&${slot})`);
  }

  isRdonly(slot: Slot = 'd'): this {
    return this.record('bpf_dynptr_is_rdonly', [P.dynptr(slot)], `bpf_dynptr_is_rdonly(&${slot})`);
  }

  clone(from: Slot = 'd', to: Slot = 'e'): this {
    return this.record('bpf_dynptr_clone', [P.dynptr(from), P.dynptr(to)], `bpf_dynptr_clone(&${from}, &${to})`);
  }

  slice(off: number | bigint, sz: number, withBuf: boolean, slot: Slot = 'd', rdwr = false): this {
    const fn = rdwr ? 'bpf_dynptr_slice_rdwr' : 'bpf_dynptr_slice';
    return this.record(fn, [P.dynptr(slot), P.imm(off), withBuf ? P.buf(this.g('sbuf')) : P.NULL, P.imm(sz)],
      `${fn}(&${slot}, ${show(off)}, ${withBuf ? 'sbuf' : 'NULL'}, ${sz}) != NULL`, 'ptr');
  }

  data(off: number | bigint, len: number, slot: Slot = 'd'): this {
    return this.record('bpf_dynptr_data', [P.dynptr(slot), P.imm(off), P.imm(len)], `bpf_dynptr_data(&${slot}, ${show(off)}, ${len}) != NULL`, 'ptr');
  }

  /** A raw call (verifier cases): its result is not stored. */
  raw(op: Op): this {
    this.body.push(op);
    return this;
  }

  /** `reg = <id>_<name>`, a scalar global of `kind` (zero at load: the verifier knows only its type's range). */
  loadGlobal(reg: string, name: string, kind: 'u32' | 'int'): this {
    if (!this.scalars.some((x) => x.name === this.g(name))) this.scalars.push({ name: this.g(name), kind });
    this.body.push(P.mov(reg, P.glob(this.g(name))));
    return this;
  }

  build(rule: string, note: string, extra: Partial<Pick<ConfCase, 'verifier' | 'generated'>> = {}): ConfCase {
    const object: BpfObject = {
      name: this.id,
      maps: [],
      globals: [
        { name: this.g('rets'), kind: 'u64s', size: RETS },
        { name: this.g('mem'), kind: 'bytes', size: this.memSize },
        { name: this.g('out'), kind: 'bytes', size: OUT },
        { name: this.g('sbuf'), kind: 'bytes', size: SBUF },
        ...this.scalars,
      ],
      programs: [{ name: this.id, section: 'syscall', body: [...this.body, P.ret(P.imm(0))] }],
      subprogs: [],
    };
    return { id: this.id, rule, note, object, calls: [...this.calls], ...extra };
  }
}

export const U32_MAX = 0xffff_ffffn;
export const U64_MAX = 0xffff_ffff_ffff_ffffn;

/**
 * `v` = 1 when `cur->field` (a task read by name) equals what bpf_get_current_pid_tgid() gives for
 * it — its low 32 bits for the pid, its high ones for the tgid — else 0 (registers `f<i>`, `g<i>`,
 * label `F<i>`); with the text a case records for it. Used by the host (kinds.ts) and guest
 * (task_ref.ts) task cases.
 */
export function currentFieldOps(i: number, cur: string, field: 'pid' | 'tgid', v: string): Op[] {
  return [
    P.field(`f${i}`, P.r(cur), field), P.call('bpf_get_current_pid_tgid', [], `g${i}`),
    field === 'pid' ? P.alu('and', `g${i}`, P.imm(0xffff_ffff)) : P.alu('rsh', `g${i}`, P.imm(32)),
    P.mov(v, P.imm(0)), P.goto(`F${i}`, P.when(`f${i}`, '!=', P.r(`g${i}`))), P.mov(v, P.imm(1)), P.label(`F${i}`),
  ];
}

export const currentFieldText = (field: 'pid' | 'tgid'): string => `current->${field} == bpf_get_current_pid_tgid()${field === 'pid' ? ' & 0xffffffff' : ' >> 32'}`;


/**
 * How the loaders (the host's loader.c, the guest's driver.c) load a refused case's program: alone, the
 * object's other programs' autoload off. libbpf still makes every map of the object first
 * (src/scheduler/setup.ts `loadObject`): the load error when one of them refuses it, else null.
 */
export function refusedMap(obj: BpfObject, version: KernelVersion, cpus: number): LoadError | null {
  // An object without maps has none to refuse it (the load would verify the program once more).
  if (obj.maps.length === 0) return null;
  try {
    new Session({ version, cpus }).load(obj, { noAutoload: obj.programs.slice(1).map((p) => p.name) });
  } catch (e) {
    if (e instanceof LoadError && e.map !== null) return e;
  }
  return null;
}

/**
 * One object of several cases' objects (a batch): their maps, globals, programs and functions, and
 * the kfuncs any declares `__weak` (src/model/program/ksym.ts; a resolved kfunc loads the same weak
 * or not, and a case whose weak kfunc the kernel lacks cannot share an object with one that calls it
 * unguarded).
 */
export function mergeObjects(name: string, objs: readonly BpfObject[]): BpfObject {
  const weak = [...new Set(objs.flatMap((o) => o.weak ?? []))];
  return {
    name, maps: objs.flatMap((o) => o.maps), globals: objs.flatMap((o) => o.globals),
    programs: objs.flatMap((o) => o.programs), subprogs: objs.flatMap((o) => o.subprogs),
    ...(weak.length > 0 ? { weak } : {}),
  };
}
