/**
 * Properties added to kill mutants (docs/properties.md, "Mutation testing"): `bpf_copy_from_user_str`,
 * called directly in a sleepable context of a task. Rules read in kernel source (kernel/bpf/helpers.c
 * `bpf_copy_from_user_str`): flags other than BPF_F_PAD_ZEROS → -EINVAL; size 0 → 0; otherwise
 * `strncpy_from_user` of at most size − 1 bytes, stopping after a NUL; a fault → its error (-EFAULT),
 * with all of dst zeroed under BPF_F_PAD_ZEROS; on success dst is terminated (the tail zeroed under
 * BPF_F_PAD_ZEROS) and the return is the bytes copied + 1. Without BPF_F_PAD_ZEROS, strncpy_from_user's
 * word store (lib/strncpy_from_user.c `do_strncpy_from_user`) still zeroes from the NUL to the end of
 * its 8-byte word when that word fits the count. A task without an mm has no user memory.
 * KF_SLEEPABLE: a non-sleepable call is refused (README: a call no program can make throws), as is a
 * buffer smaller than its length (README's `ArgumentError`). The expected bytes are computed here by a
 * small strncpy over the user memory the task wrote.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { expectEqual, expectIs } from './fast_expect.ts';
import { padAfter } from './oracle.ts';
import { ArgumentError, content, KernsimError, Session } from '../src/index.ts';

const ADDR = 0x7ffd_0000;
const EFAULT = -14;
const EINVAL = -22;

describe('mutants: bpf_copy_from_user_str', () => {
  test('mutants: copies up to size - 1 bytes of a user string, terminated or zero-padded; faults, bad flags and size 0 as the source says', () => {
    fc.assert(fc.property(
      fc.string({ unit: fc.constantFrom('a', 'b', 'z', '0', '~'), maxLength: 12 }),
      fc.integer({ min: -3, max: 16 }),
      fc.integer({ min: 0, max: 20 }),
      fc.boolean(),
      (text, off, size, kthread) => {
       for (const flags of [0n, 1n, 2n, 3n, 1n << 40n]) {
        const s = new Session();
        s.createFile({ path: '/bin/app', content: content.zero(), size: 4096 });
        const pid = s.spawn({ comm: 'app', ...(kthread ? {} : { exe: '/bin/app' }), script: [...(kthread ? [] : [{ sys: 'user_write' as const, addr: ADDR, text }]), { sys: 'sleep', ticks: 1000 }] });
        let guard = 0;
        while (s.taskState(pid) !== 'interruptible' && guard++ < 50) s.step();
        expectIs(s.taskState(pid), 'interruptible');
        const dst = new Uint8Array(24).fill(0xaa);
        s.context = { sleepable: true, task: pid, label: 'cb' };
        const got = s.bpf_copy_from_user_str(dst, size, ADDR + off, flags);
        // The oracle: user memory is text + NUL at ADDR (none without an mm).
        const mem = kthread ? null : new Uint8Array([...new TextEncoder().encode(text), 0]);
        const want = new Uint8Array(24).fill(0xaa);
        const pad = (flags & 1n) !== 0n;
        let ret: number;
        if ((flags & ~1n) !== 0n) ret = EINVAL;
        else if (size === 0) ret = 0;
        else {
          let n = 0;
          let fault = false;
          for (; n < size - 1; n += 1) {
            const i = off + n;
            if (mem === null || i < 0 || i >= mem.length) { fault = true; break; }
            if (mem[i] === 0) break;
            want[n] = mem[i]!;
          }
          if (fault) {
            ret = EFAULT;
            if (pad) want.fill(0, 0, size);
          } else {
            ret = n + 1;
            if (pad) want.fill(0, n, size);
            else {
              want[n] = 0;
              // A NUL read within the count (size - 1): strncpy_from_user's word store zeroes past it (oracle.ts padAfter).
              if (n < size - 1 && mem !== null) want.fill(0, n + 1, n + 1 + padAfter(n, 0, size - 1, BigInt(ADDR + off), mem.length - off));
            }
          }
        }
        expectIs(got, ret);
        if (ret === EFAULT && !pad) expectEqual([...dst.subarray(size)], [...want.subarray(size)]); // only past size is known
        else expectEqual([...dst], [...want]);
       }
      },
    ));
  });

  test('mutants: a non-sleepable call, a call outside a task and a buffer shorter than its size are refused and change nothing', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.constantFrom('nonsleepable', 'notask', 'short'), (size, how) => {
      const s = new Session();
      s.createFile({ path: '/bin/app', content: content.zero(), size: 4096 });
      const pid = s.spawn({ comm: 'app', exe: '/bin/app', script: [{ sys: 'user_write', addr: ADDR, text: 'hello' }, { sys: 'sleep', ticks: 1000 }] });
      while (s.taskState(pid) !== 'interruptible' && s.step());
      s.context = how === 'nonsleepable' ? { sleepable: false, task: pid, label: 'hook' } : how === 'notask' ? { sleepable: true, label: 'x' } : { sleepable: true, task: pid, label: 'cb' };
      const dst = new Uint8Array(how === 'short' ? size - 1 : size).fill(7);
      const before = s.world;
      expect(() => s.bpf_copy_from_user_str(dst, size, ADDR, 0)).toThrow(how === 'short' ? ArgumentError : KernsimError);
      expectIs(s.world, before);
      expectIs([...dst].every((b) => b === 7), true);
    }));
  });
});
