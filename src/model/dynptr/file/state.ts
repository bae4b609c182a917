/**
 * The allocated state of a FILE dynptr (kernel/bpf/helpers.c: `struct bpf_dynptr_file_impl`, made by
 * `make_file_dynptr`): 64-bit offset and size and the file reader (`struct freader`, lib/buildid.c).
 * Shared by clones. Data only.
 */
import type { FileId, Ino } from '../../fs/types.ts';
import type { FolioRef } from '../../../pagecache/index.ts';

/** The folio a non-sleepable reader holds: its identity and its number of pages. */
export interface HeldFolio extends FolioRef {
  readonly nr: number;
}

export interface FileDynptrFields {
  readonly id: number;
  readonly file: FileId;
  /** The file's inode, whose page cache the reader's folio belongs to. */
  readonly ino: Ino;
  readonly offset: bigint;
  readonly size: bigint;
  /** Built by `bpf_dynptr_from_file_sleepable` (may fault pages in) or the non-sleepable constructor. */
  readonly maySleep: boolean;
  /** The folio the reader holds a reference on between fetches (non-sleepable readers only). */
  readonly folio: HeldFolio | null;
  readonly freed: boolean;
}

/** `struct bpf_dynptr_file_impl`: 64-bit offset and size and a file reader (`struct freader`). */
export class FileDynptrState implements FileDynptrFields {
  readonly id: number;
  readonly file: FileId;
  readonly ino: Ino;
  readonly offset: bigint;
  readonly size: bigint;
  readonly maySleep: boolean;
  readonly folio: HeldFolio | null;
  readonly freed: boolean;
  /** A state from its fields, or from another state with some fields changed (see `with`). */
  constructor(f: FileDynptrFields, patch?: Partial<FileDynptrFields>) {
    // Field by field (no intermediate object): a state is made on every adjust and every move of the reader.
    this.id = patch?.id ?? f.id;
    this.file = patch?.file ?? f.file;
    this.ino = patch?.ino ?? f.ino;
    this.offset = patch?.offset ?? f.offset;
    this.size = patch?.size ?? f.size;
    this.maySleep = patch?.maySleep ?? f.maySleep;
    this.folio = patch?.folio !== undefined ? patch.folio : f.folio;
    this.freed = patch?.freed ?? f.freed;
  }

  /** A copy with some fields changed. */
  with(patch: Partial<FileDynptrFields>): FileDynptrState {
    return new FileDynptrState(this, patch);
  }
}
