/**
 * A BPF object and its programs once loaded (`struct bpf_prog` and what `bpf_object__load` made), as the
 * world holds them. Data only.
 */
import type { MapId } from '../maps/types.ts';
import type { BpfObject } from './program.ts';
import type { ProgType } from './sections.ts';

export type ProgId = number;
export type ObjId = number;

export interface LoadedProg {
  id: ProgId;
  obj: ObjId;
  name: string;
  section: string;
  type: ProgType;
  sleepable: boolean;
  /** `prog->aux->refcnt`: the loader's fd/link holds 1; pending task_work holds one each. */
  refs: number;
}

/** A loaded object as a world holds it (a transition changes its own copy, `Tables.object`). */
export interface ReadonlyLoadedObject {
  readonly id: ObjId;
  /** The object as its file declares it (its maps as made are the world's maps: a map made without BTF has no special fields). */
  readonly def: BpfObject;
  readonly globals: ReadonlyMap<string, Uint8Array>;
  readonly maps: ReadonlyMap<string, MapId>;
  readonly progs: ReadonlyMap<string, ProgId>;
}

export interface LoadedObject {
  id: ObjId;
  def: BpfObject;
  /** Each global's bytes (globals.ts reads scalars through their C type). */
  globals: Map<string, Uint8Array>;
  maps: Map<string, MapId>;
  progs: Map<string, ProgId>;
}
