/**
 * Model and renderer fixes found by the guest conformance tier (Linux 7.2.13 under qemu; see
 * docs/conformance.md, "Guest tier").
 */
import { describe, expect, test } from 'vitest';
import { content, EIO, renderC, Session, program as P } from '../src/index.ts';

const PG = 4096;

function fileSession(size: number, sleepable: boolean): { s: Session; data: Uint8Array } {
  const data = new Uint8Array(size).map((_, i) => (i * 7 + 3) & 0xff);
  const s = new Session({ version: '7.2', sleepable });
  s.createFile({ path: '/f', content: content.bytes(data) });
  s.populate('/f');
  expect(s.bpf_dynptr_from_file(s.open('/f'), 0, 'd')).toBe(0);
  return { s, data };
}

describe('FILE reads past EOF in a cached last page (7.2)', () => {
  const S = 2 * PG + 1234;
  test('sleepable: -EIO, the bytes before EOF copied, the rest of dst untouched', () => {
    const { s, data } = fileSession(S, true);
    const dst = new Uint8Array(64).fill(0xcc);
    expect(s.bpf_dynptr_read(dst, 64, 'd', S - 10, 0)).toBe(-EIO);
    expect(dst.subarray(0, 10)).toEqual(data.subarray(S - 10));
    expect(dst.subarray(10)).toEqual(new Uint8Array(54).fill(0xcc));
    expect(s.bpf_dynptr_read(dst, 1, 'd', S, 0)).toBe(-EIO);
    expect(s.bpf_dynptr_read(dst, 0, 'd', S, 0)).toBe(0);
    expect(s.bpf_dynptr_read(dst, 10, 'd', S - 10, 0)).toBe(0);
  });
  test('non-sleepable: 0, zeros past EOF', () => {
    const { s, data } = fileSession(S, false);
    const dst = new Uint8Array(64).fill(0xcc);
    expect(s.bpf_dynptr_read(dst, 64, 'd', S - 10, 0)).toBe(0);
    expect(dst.subarray(0, 10)).toEqual(data.subarray(S - 10));
    expect(dst.subarray(10)).toEqual(new Uint8Array(54));
  });
});

describe('renderC: bpf_dynptr_read/write take u64 offsets and lengths', () => {
  test('the helpers are called through a u64 prototype (libbpf < 1.5 declares them __u32)', () => {
    const c = renderC({
      name: 'o', maps: [], subprogs: [],
      globals: [{ name: 'out', kind: 'bytes', size: 8 }],
      programs: [{ name: 'p', section: 'syscall', body: [
        P.call('bpf_dynptr_from_mem', [P.buf('out'), P.imm(8), P.imm(0), P.dynptr('d')]),
        P.call('bpf_dynptr_read', [P.buf('out'), P.imm(1), P.dynptr('d'), P.imm(0x1_0000_0000n), P.imm(0)], 'r0'),
        P.ret(P.imm(0)),
      ] }],
    });
    expect(c).toContain('#define bpf_dynptr_read(...) ((long (*)(void *, __u64, const struct bpf_dynptr *, __u64, __u64))BPF_FUNC_dynptr_read)(__VA_ARGS__)');
    expect(c).not.toContain('#define bpf_dynptr_write');
    expect(c).toContain('bpf_dynptr_read(out, 1, &d, 4294967296ULL, 0)');
  });
});

describe('sleepable FILE reads at the far edges (7.2)', () => {
  test('len 0 at or past EOF → 0; a position ≥ 2^63 → -EINVAL; non-sleepable keeps -EFAULT', () => {
    const S = PG + 100;
    const { s } = fileSession(S, true);
    const dst = new Uint8Array(8);
    expect(s.bpf_dynptr_read(dst, 0, 'd', S + 1, 0)).toBe(0);
    expect(s.bpf_dynptr_read(dst, 0, 'd', 5 * PG, 0)).toBe(0);
    expect(s.bpf_dynptr_read(dst, 1, 'd', 1n << 63n, 0)).toBe(-22);
    expect(s.bpf_dynptr_read(dst, 1, 'd', 0xffff_ffff_ffff_fffen, 0)).toBe(-22);
    const ns = fileSession(S, false).s;
    expect(ns.bpf_dynptr_read(dst, 1, 'd', 1n << 63n, 0)).toBe(-14);
    expect(ns.bpf_dynptr_read(dst, 0, 'd', 5 * PG, 0)).toBe(-14);
  });
});

describe('a task_work callback copying its value pointer (renderer)', () => {
  // The guest tier's HASH/LRU cases copy `value` (R3) into r8 first thing; the C once assigned r8
  // without declaring it ("use of undeclared identifier 'r8'": 40 cases failed to compile) when the
  // callback did not schedule through it. A register a callback reads and never writes starts from its
  // parameter, and a copy of it is declared with that parameter's type.
  const object = (resched: boolean) => ({
    name: 'cp', globals: [{ name: 'cnt', kind: 'int' as const }],
    maps: [{ name: 'm', type: 'hash' as const, maxEntries: 4, valueSize: 8, taskWorkFields: 1 }],
    programs: [{ name: 'hook', section: 'lsm/file_open', body: [
      P.call('bpf_map_lookup_elem', [P.map('m'), P.imm(0)], 'r6'), P.goto('out', P.when('r6', '==', P.NULL)),
      P.call('bpf_get_current_task_btf', [], 'r7'),
      P.call('bpf_task_work_schedule_signal', [P.r('r7'), P.tw('r6'), P.map('m'), P.cb('cb')], 'r0'),
      P.label('out'), P.ret(P.imm(0)),
    ] }],
    subprogs: [{ name: 'cb', isStatic: true, body: [
      P.mov('r8', P.r('r3')),
      P.mov('r1', P.glob('cnt')), P.alu('add', 'r1', P.imm(1)), P.store('cnt', P.r('r1')),
      ...(resched ? [
        P.call('bpf_get_current_task_btf', [], 'r7'),
        P.call('bpf_task_work_schedule_signal', [P.r('r7'), P.tw('r8'), P.map('m'), P.cb('cb')], 'r0'),
      ] : []),
      P.ret(P.imm(0)),
    ] }],
  });
  test.each([false, true])('scheduling through the copy: %s', (resched) => {
    const c = renderC(object(resched));
    const cb = c.slice(c.indexOf('static int cb('));
    const param = /\n\t(.+) \*?r3 = value;\n/.exec(cb);
    expect(param).not.toBeNull();
    const decl = new RegExp(`\\n\\t${(param?.[1] ?? '').replace(/[*]/g, '\\*')} \\*?r8 = NULL;\\n`);
    expect(cb).toMatch(decl);
    expect(cb).toContain('r8 = (void *)r3;');
    if (resched) expect(cb).toContain('&r8->tw');
    // r1 is written by the body: it is a local, not the `map` parameter.
    expect(cb).not.toContain('r1 = map;');
  });
});
