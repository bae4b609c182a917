/**
* The kernel's BPF selftests of issue 13 on the model: every expressible program (but those of a
 * series under review) gives the selftest's outcome (its `__failure`/`__msg`, `__success`, or its driver's
 * assertions) on the kernel version its copy is written for.
 */
import { describe, expect, test } from 'vitest';
import { SELFTESTS } from './index.ts';
import { judge, matchMessages } from './lib.ts';

describe('test_loader.c message matching', () => {
  test('messages are found in order, plain text literally and {{…}} as a regular expression', () => {
    const log = 'a: foo\nUnreleased reference id=3 alloc_insn=12\nR7 invalid mem access \'scalar\'';
    expect(matchMessages(log, ['Unreleased reference id=', "invalid mem access 'scalar'"]).ok).toBe(true);
    expect(matchMessages(log, ["invalid mem access 'scalar'", 'Unreleased reference']).ok).toBe(false);
    expect(matchMessages(log, ['id={{[0-9]+}} alloc_insn={{[0-9]+}}']).ok).toBe(true);
    expect(matchMessages(log, ['R{{[0-9]+}} invalid']).ok).toBe(true);
    expect(matchMessages(log, ['id=3.']).ok).toBe(false);
    expect(matchMessages('id=3. Release', ['id=3.']).ok).toBe(true);
  });
});

for (const file of [...new Set(SELFTESTS.map((t) => t.file))]) {
  describe(file, () => {
    for (const t of SELFTESTS.filter((x) => x.file === file)) {
      test(`${t.fn} (${t.expect.kind}, ${t.version})`, () => {
        const s = judge(t);
        if (s.status === 'not-expressible' || s.status === 'series') return;
        expect(s.status, s.detail).toBe('agree');
      });
    }
  });
}
