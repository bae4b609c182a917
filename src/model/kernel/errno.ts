/**
 * Linux errno values (include/uapi/asm-generic/errno-base.h, errno.h).
 * Kernel functions return them negated: `-EINVAL` is `-22`.
 */
import { ArgumentError } from './errors.ts';

export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EIO = 5;
export const E2BIG = 7;
export const EBADF = 9;
export const ECHILD = 10;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EACCES = 13;
export const EBUSY = 16;
export const EEXIST = 17;
export const EINVAL = 22;
export const EFBIG = 27;
export const ENOSPC = 28;
export const ESPIPE = 29;
export const ERANGE = 34;
export const ENAMETOOLONG = 36;
export const EOPNOTSUPP = 95;
/** Kernel-internal `ENOTSUPP` (include/linux/errno.h), which some map operations return to user space. */
export const ENOTSUPP = 524;

/**
 * Each errno above: its name, and what the C library's `strerror` says for it (glibc's words, as
 * libbpf prints them); the kernel-internal ENOTSUPP has none ("Unknown error 524").
 */
const ERRNOS: readonly (readonly [number, string, string])[] = [
  [EPERM, 'EPERM', 'Operation not permitted'], [ENOENT, 'ENOENT', 'No such file or directory'], [ESRCH, 'ESRCH', 'No such process'],
  [EIO, 'EIO', 'Input/output error'], [E2BIG, 'E2BIG', 'Argument list too long'], [EBADF, 'EBADF', 'Bad file descriptor'],
  [ECHILD, 'ECHILD', 'No child processes'], [EAGAIN, 'EAGAIN', 'Resource temporarily unavailable'], [ENOMEM, 'ENOMEM', 'Cannot allocate memory'],
  [EFAULT, 'EFAULT', 'Bad address'], [EACCES, 'EACCES', 'Permission denied'], [EBUSY, 'EBUSY', 'Device or resource busy'],
  [EEXIST, 'EEXIST', 'File exists'], [EINVAL, 'EINVAL', 'Invalid argument'], [EFBIG, 'EFBIG', 'File too large'],
  [ENOSPC, 'ENOSPC', 'No space left on device'], [ESPIPE, 'ESPIPE', 'Illegal seek'], [ERANGE, 'ERANGE', 'Numerical result out of range'],
  [ENAMETOOLONG, 'ENAMETOOLONG', 'File name too long'], [EOPNOTSUPP, 'EOPNOTSUPP', 'Operation not supported'],
  [ENOTSUPP, 'ENOTSUPP', `Unknown error ${ENOTSUPP}`],
];
const NAMES: ReadonlyMap<number, string> = new Map(ERRNOS.map(([e, name]) => [e, name]));
const TEXTS: ReadonlyMap<number, string> = new Map(ERRNOS.map(([e, , text]) => [e, text]));

/** `strerror(e)` for one of the errnos above (`e` positive): glibc's text. */
export function strerror(e: number): string {
  const text = TEXTS.get(e);
  if (text === undefined) throw new ArgumentError('e', e, `a positive errno the model returns (${[...NAMES.values()].join(', ')})`);
  return text;
}

/** `-22` → `"-EINVAL"`; other values are printed as they are. */
export function errnoName(ret: number): string {
  if (typeof ret !== 'number') throw new ArgumentError('ret', ret, 'a number (a return value)');
  if (ret < 0) {
    const name = NAMES.get(-ret);
    if (name !== undefined) return `-${name}`;
  }
  return String(ret);
}
