/**
 * Properties added to kill mutants (docs/properties.md, "Mutation testing"): allocation failures in
 * `bpf_dynptr_from_file`. Expected values from SEMANTICS.md, computed here.
 */
import fc from 'fast-check';
import { describe, test } from 'vitest';
import { expectEqual, expectIs } from './fast_expect.ts';
import { content, refSnapshot, Session } from '../src/index.ts';

const ENOMEM = -12;
const EINVAL = -22;

describe('mutants: allocation failures', () => {
  test('mutants: from_file returns -ENOMEM and a null dynptr while allocations fail, then 0', () => {
    // SEMANTICS.md, `bpf_dynptr_from_file`: "flags ≠ 0 → `-EINVAL`, dynptr set null; allocation fails
    // → `-ENOMEM`, null (H)" (in that order: a call with flags ≠ 0 allocates nothing); "0; read-only
    // FILE dynptr, offset 0, size U64_MAX"; "Takes no file reference of its own (M)".
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 3 }),
      fc.array(fc.constantFrom(0, 0, 0, 1), { minLength: 1, maxLength: 8 }),
      fc.boolean(),
      (failures, flagsSeq, sleepable) => {
        const s = new Session({ sleepable });
        s.createFile({ path: '/f', content: content.pattern(1), size: 8192 });
        const f = s.open('/f');
        if (failures > 0) s.injectAllocFailure(failures);
        const base = refSnapshot(s.world).files;
        let left = failures;
        flagsSeq.forEach((flags, i) => {
          const slot = `d${i}`;
          const got = s.bpf_dynptr_from_file(f, flags, slot);
          const want = flags !== 0 ? EINVAL : left > 0 ? ENOMEM : 0;
          if (flags === 0 && left > 0) left -= 1;
          expectIs(got, want);
          expectIs(s.bpf_dynptr_is_null(slot), want !== 0);
          if (want === 0) {
            expectIs(s.bpf_dynptr_is_rdonly(slot), true);
            expectIs(s.bpf_dynptr_size(slot), (1n << 64n) - 1n);
          }
          expectEqual(refSnapshot(s.world).files, base);
        });
        const live = flagsSeq.filter((x) => x === 0).length - Math.min(failures, flagsSeq.filter((x) => x === 0).length);
        expectIs(refSnapshot(s.world).liveFileStates, live);
      },
    ));
  });
});
