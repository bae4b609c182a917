/**
 * The seed example (tools/testing/selftests/bpf/progs/file_reader.c, `validate_file_read`): a BPF
 * program makes a FILE dynptr over a 256000-byte file and checks its reads against the bytes user
 * space read. Run it with `npm start`.
 *
 * This is the synchronous part of the example: the checks run directly in a sleepable context and
 * in a non-sleepable one, over a warm and a cold page cache. (In the full example the sleepable
 * context is a task_work callback scheduled from a non-sleepable `lsm/file_open` program.)
 */
import seedrandom from 'seedrandom';
import { content, errnoName, formatTrace, pageMap, Session, type FileId, type KfuncMethods } from '../src/index.ts';

export const FILE_PATH = '/tmp/kernsim_file_reader';
export const FILE_SIZE = 256000;

/** The file's bytes, from a seed: what user space reads with read(2) before the program runs. */
export function fileBytes(seed: string, size = FILE_SIZE): Uint8Array {
  const rng = seedrandom(seed);
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 1) bytes[i] = Math.floor(rng() * 256);
  return bytes;
}

export interface Check {
  readonly what: string;
  readonly ret: number;
  readonly ok: boolean;
}

export interface ValidateResult {
  /** 0 when every check passed, else the return value of the first failing call (or 1: bad bytes). */
  readonly err: number;
  readonly checks: readonly Check[];
}

const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * `validate_file_read`: make a FILE dynptr over `file`, check reads at 0 (whole file), 1, size-1 and
 * 4097 (100 bytes) against `user`, narrow it to the single byte at 4097 with `bpf_dynptr_adjust`,
 * read that byte, check that a 2-byte read and a read at offset 1 now fail with -E2BIG, and discard.
 */
export function validateFileRead(kf: KfuncMethods, file: FileId, user: Uint8Array): ValidateResult {
  const checks: Check[] = [];
  const buf = new Uint8Array(user.length);
  let err = 0;
  const check = (what: string, ret: number, ok: boolean): boolean => {
    checks.push({ what, ret, ok });
    if (!ok && err === 0) err = ret !== 0 ? ret : 1;
    return ok;
  };
  const readAt = (off: number, len: number, expect: Uint8Array): boolean => {
    const ret = kf.bpf_dynptr_read(buf, len, 'dynptr', off, 0);
    return check(`read ${len} @ ${off}`, ret, ret === 0 && equal(buf.subarray(0, len), expect));
  };

  const made = kf.bpf_dynptr_from_file(file, 0, 'dynptr');
  if (check('bpf_dynptr_from_file', made, made === 0)) {
    const size = user.length;
    void (readAt(0, size, user)
      && readAt(1, 1, user.subarray(1, 2))
      && readAt(size - 1, 1, user.subarray(size - 1, size))
      && readAt(4097, 100, user.subarray(4097, 4197))
      && check('adjust to [4097, 4098)', kf.bpf_dynptr_adjust('dynptr', 4097, 4098), true)
      && readAt(0, 1, user.subarray(4097, 4098))
      && ((r) => check('read 2 @ 0 after adjust must fail', r, r === -7))(kf.bpf_dynptr_read(buf, 2, 'dynptr', 0, 0))
      && ((r) => check('read 1 @ 1 after adjust must fail', r, r === -7))(kf.bpf_dynptr_read(buf, 1, 'dynptr', 1, 0)));
  }
  kf.bpf_dynptr_file_discard('dynptr');
  return { err, checks };
}

export interface Run {
  readonly label: string;
  readonly result: ValidateResult;
  readonly session: Session;
}

/** One run: a fresh world with the file, warm or cold, and the checks in the given context. */
export function run(opts: { readonly cache: 'warm' | 'cold'; readonly sleepable: boolean; readonly seed?: string }): Run {
  const user = fileBytes(opts.seed ?? 'file_reader');
  const s = new Session({ sleepable: opts.sleepable });
  s.createFile({ path: FILE_PATH, content: content.bytes(user) });
  if (opts.cache === 'warm') s.populate(FILE_PATH);
  const file = s.open(FILE_PATH);
  const result = s.run((_k, kf) => validateFileRead(kf, file, user));
  s.fput(file);
  const label = `${opts.cache} cache, ${opts.sleepable ? 'sleepable' : 'non-sleepable'}`;
  return { label, result, session: s };
}

function main(): void {
  for (const cache of ['warm', 'cold'] as const) {
    for (const sleepable of [false, true]) {
      const { label, result, session } = run({ cache, sleepable });
      console.log(`== validate_file_read, ${label} ==`);
      console.log(formatTrace(session.world.trace));
      const pages = Object.entries(pageMap(session.world, FILE_PATH)).map(([st, r]) => `${st} ${r}`).join('; ');
      console.log(`page cache after: ${pages || 'empty'}`);
      console.log(`run_success=${result.err === 0 ? 1 : 0} err=${errnoName(result.err)}\n`);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
