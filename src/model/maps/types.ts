/**
 * The records of a BPF map (`struct bpf_map` and its elements) as the world holds them. Data only: the
 * rules are in maps.ts.
 */
import type { MapType } from '../program/program.ts';

export type MapId = number;

export interface MapElem {
  data: Uint8Array;
  /** `struct bpf_task_work_kern`: the ctx pointer, NULL until the first schedule. */
  tw: number | null;
  lastUse: number;
}

export interface BpfMap {
  id: MapId;
  name: string;
  type: MapType;
  maxEntries: number;
  valueSize: number;
  taskWork: boolean;
  /** User references (fds, pins): `map->usercnt`. */
  usercnt: number;
  elems: Map<number, MapElem>;
  useTick: number;
}
