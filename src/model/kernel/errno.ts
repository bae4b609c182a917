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

const NAMES: ReadonlyMap<number, string> = new Map([
  [EPERM, 'EPERM'], [ENOENT, 'ENOENT'], [ESRCH, 'ESRCH'], [EIO, 'EIO'], [E2BIG, 'E2BIG'],
  [EBADF, 'EBADF'], [ECHILD, 'ECHILD'], [EAGAIN, 'EAGAIN'], [ENOMEM, 'ENOMEM'], [EFAULT, 'EFAULT'], [EACCES, 'EACCES'], [EBUSY, 'EBUSY'], [EEXIST, 'EEXIST'],
  [EINVAL, 'EINVAL'], [EFBIG, 'EFBIG'], [ENOSPC, 'ENOSPC'], [ESPIPE, 'ESPIPE'], [ERANGE, 'ERANGE'], [ENAMETOOLONG, 'ENAMETOOLONG'], [EOPNOTSUPP, 'EOPNOTSUPP'], [ENOTSUPP, 'ENOTSUPP'],
]);

/**
 * What the C library's `strerror` says for each errno above (glibc's words, as libbpf prints them);
 * the kernel-internal ENOTSUPP has none: "Unknown error 524".
 */
const TEXTS: ReadonlyMap<number, string> = new Map([
  [EPERM, 'Operation not permitted'], [ENOENT, 'No such file or directory'], [ESRCH, 'No such process'], [EIO, 'Input/output error'],
  [E2BIG, 'Argument list too long'], [EBADF, 'Bad file descriptor'], [ECHILD, 'No child processes'], [EAGAIN, 'Resource temporarily unavailable'],
  [ENOMEM, 'Cannot allocate memory'], [EFAULT, 'Bad address'], [EACCES, 'Permission denied'], [EBUSY, 'Device or resource busy'], [EEXIST, 'File exists'],
  [EINVAL, 'Invalid argument'], [EFBIG, 'File too large'], [ENOSPC, 'No space left on device'], [ESPIPE, 'Illegal seek'],
  [ERANGE, 'Numerical result out of range'], [ENAMETOOLONG, 'File name too long'], [EOPNOTSUPP, 'Operation not supported'],
]);

/** `strerror(e)` for one of the errnos above (`e` positive): glibc's text. */
export function strerror(e: number): string {
  if (e === ENOTSUPP) return `Unknown error ${ENOTSUPP}`;
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
