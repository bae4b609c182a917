/**
 * The flags of an open (`O_RDONLY`, `O_WRONLY`, `O_RDWR`, `O_APPEND`): parsed from a scenario's text,
 * and written back as the trace shows them.
 */
import { ArgumentError } from '../kernel/errors.ts';

/** The access mode and flags of an open (`O_RDONLY`, `O_WRONLY`, `O_RDWR`, `O_APPEND`). */
export interface OpenFlags {
  readonly read: boolean;
  readonly write: boolean;
  readonly append: boolean;
}

export const O_RDONLY: OpenFlags = Object.freeze({ read: true, write: false, append: false });

const ACCESS: Readonly<Record<string, { read: boolean; write: boolean }>> = {
  O_RDONLY: { read: true, write: false }, O_WRONLY: { read: false, write: true }, O_RDWR: { read: true, write: true },
};

/** Parse `"O_WRONLY|O_APPEND"`: one access mode (default `O_RDONLY`) and optionally `O_APPEND`. */
export function parseOpenFlags(text: string | undefined, argument = 'flags'): OpenFlags {
  if (text === undefined) return O_RDONLY;
  if (typeof text !== 'string') throw new ArgumentError(argument, text, 'open flags such as "O_RDWR|O_APPEND"');
  let access: { read: boolean; write: boolean } | null = null;
  let append = false;
  for (const part of text.split('|').map((x) => x.trim())) {
    const a = ACCESS[part];
    if (a !== undefined && access === null) access = a;
    else if (part === 'O_APPEND' && !append) append = true;
    else throw new ArgumentError(argument, text, 'one of O_RDONLY, O_WRONLY, O_RDWR, optionally |O_APPEND');
  }
  return { read: (access ?? O_RDONLY).read, write: (access ?? O_RDONLY).write, append };
}

/** `OPEN_FMODE` of the open flags. */
export function describeOpenFlags(f: OpenFlags): string {
  return `${f.read && f.write ? 'O_RDWR' : f.write ? 'O_WRONLY' : 'O_RDONLY'}${f.append ? '|O_APPEND' : ''}`;
}
