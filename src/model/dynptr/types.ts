/**
 * A dynptr as a BPF program's stack slot holds it (`struct bpf_dynptr_kern`: data, offset, size with
 * the type and read-only bits). Data only: the kfuncs that make and use them are beside this file.
 * A FILE dynptr's offset and size live in a separate state (file/state.ts).
 */

/** A dynptr lives in a named slot (a stack slot of the BPF program: `"d"`, `"clone"`, …). */
export type DynptrSlot = string;

/** A null dynptr: `data == NULL` (bpf_dynptr_set_null). */
export class NullDynptr {
  readonly kind = 'null' as const;
  constructor() {
    Object.freeze(this);
  }
}

export const NULL_DYNPTR: NullDynptr = new NullDynptr();

/** A LOCAL dynptr over BPF program memory (`bpf_dynptr_from_mem`): u32 offset and 24-bit size. */
export class LocalDynptr {
  readonly kind = 'local' as const;
  constructor(readonly data: Uint8Array, readonly offset: number, readonly size: number, readonly rdonly: boolean) {
  }
}

/**
 * A FILE dynptr: its offset and size live in a separately allocated state (`struct
 * bpf_dynptr_file_impl`), shared by clones.
 */
export class FileDynptr {
  readonly kind = 'file' as const;
  constructor(readonly state: number) {
    Object.freeze(this);
  }
}

export type Dynptr = NullDynptr | LocalDynptr | FileDynptr;
