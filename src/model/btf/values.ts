/**
 * What a member holds at run time (structs.ts): a task's as model/task/task.ts `taskMember` says (the
 * order of kernel/fork.c `copy_process` in it); a file's `f_inode` the inode it was opened on; an
 * inode's `i_ino` its number (the model's own numbers, not a filesystem's) and `i_size` its size now.
 */
import { ArgumentError } from '../kernel/errors.ts';
import { inodeOf, liveFile } from '../fs/files.ts';
import { taskMember, taskOf } from '../task/task.ts';
import type { RegVal } from '../task/types.ts';
import type { Kern } from '../world/world.ts';
import { fieldDecl, isMemberOf, type FieldName } from './structs.ts';

/** `base->field`, `base` a pointer to the member's structure (the verifier let the load through). */
export function memberValue(k: Kern, base: RegVal, field: FieldName): RegVal {
  const { struct } = fieldDecl(field);
  if (base !== null && typeof base === 'object') {
    if (base.ptr === 'task' && isMemberOf('task_struct', field)) return taskMember(k, taskOf(k, base.pid, 'field base'), field);
    if (base.ptr === 'file' && field === 'f_inode') return { ptr: 'inode', ino: liveFile(k, base.file, 'field base').ino };
    if (base.ptr === 'inode' && isMemberOf('inode', field)) {
      const inode = inodeOf(k, base.ino, 'field base');
      return field === 'i_ino' ? BigInt(inode.ino) : inode.size;
    }
  }
  throw new ArgumentError('field base', base, `a struct ${struct} pointer (the verifier accepts ->${field} only through one)`);
}
