import { U64_MAX } from '../../kernel/ctypes.ts';
import { EINVAL, ENOMEM } from '../../kernel/errno.ts';
import { allocate } from '../../world/faults.ts';
import { liveFile } from '../../fs/files.ts';
import { defineKfunc } from '../../kfunc/kfunc.ts';
import { FileDynptr } from '../types.ts';
import { FileDynptrState } from './state.ts';
import { setNull, uninitSlot } from '../core.ts';

/**
 * `bpf_dynptr_from_file` (kernel/bpf/helpers.c: `make_file_dynptr`, `bpf_dynptr_from_file`,
 * `bpf_dynptr_from_file_sleepable`). The verifier gives a sleepable call site the sleepable
 * constructor, so the reader's ability to fault pages in is fixed here, from the calling context.
 * Like `bpf_dynptr_file_discard` it is in helpers.c's `common_btf_ids`, the set registered for
 * BPF_PROG_TYPE_UNSPEC (the common kfunc hook): every program type may call it, KPROBE included,
 * whatever the kfunc's documentation page lists (src/model/program/prog_types.ts).
 */
export const bpf_dynptr_from_file = defineKfunc({
  name: 'bpf_dynptr_from_file',
  mirrors: 'kernel/bpf/helpers.c: bpf_dynptr_from_file, make_file_dynptr; lib/buildid.c: freader_init_from_file',
  kind: 'kfunc',
  since: '6.19',
  summary: 'Make a read-only FILE dynptr that reads `file` through the page cache.',
  args: [
    { name: 'file', type: 'file' },
    { name: 'flags', type: 'u32' },
    { name: 'ptr__uninit', type: 'dynptr_uninit' },
  ],
  ret: 'int',
  flags: ['KF_TRUSTED_ARGS'],
  checks: [
    'flags ≠ 0 → -EINVAL, ptr__uninit set null',
    'allocation of the file state fails → -ENOMEM, ptr__uninit set null',
  ],
  effects: [
    'ptr__uninit becomes a read-only FILE dynptr with offset 0 and size U64_MAX ("don\'t restrict size, as file may change")',
    'no reference is taken on the file: the program must keep its own until the discard',
    'a sleepable caller gets a reader that makes one __kernel_read per fetch (readahead, I/O, sleeps); a non-sleepable one reads cached, uptodate folios only (-EFAULT otherwise)',
  ],
  confidence: 'H (source); no file reference: H (make_file_dynptr has no get_file)',
  impl(k, file, flags, ptr) {
    const slot = uninitSlot(k, ptr, 'ptr__uninit');
    if (flags !== 0n) {
      setNull(k, slot);
      return -EINVAL;
    }
    const f = liveFile(k, file, 'file');
    if (!allocate(k)) {
      setNull(k, slot);
      return -ENOMEM;
    }
    const id = k.t.nextId('fstate');
    k.t.own('fileStates').set(id, new FileDynptrState({
      id, file, ino: f.ino, offset: 0n, size: U64_MAX, maySleep: k.ctx.sleepable, folio: null, freed: false,
    }));
    k.t.own('dynptrs').set(slot, new FileDynptr(id));
    return 0;
  },
});
