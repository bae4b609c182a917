/**
 * Fixes found by the host conformance tier (npm run conformance, docs/conformance.md): each checks
 * what Linux 6.18 did where the model or the renderer differed.
 */
import { describe, expect, test } from 'vitest';
import { program as P, renderC, Session, verify, type BpfObject } from '../src/index.ts';

const obj = (section: string, body: P.Op[]): BpfObject => ({
  name: 'fix', maps: [], subprogs: [],
  globals: [{ name: 'mem', kind: 'bytes', size: 16 }, { name: 'rets', kind: 'u64s', size: 4 }],
  programs: [{ name: 'prog', section, body: [...body, P.ret(P.imm(0))] }],
});

const sliceRdwr = [
  P.call('bpf_dynptr_from_mem', [P.buf('mem'), P.imm(16), P.imm(0), P.dynptr('d')], 'r0'),
  P.call('bpf_dynptr_slice_rdwr', [P.dynptr('d'), P.imm(0), P.NULL, P.imm(1)], 'r6'),
];

describe('bpf_dynptr_slice_rdwr needs packet write access (verifier.c may_access_direct_pkt_data)', () => {
  test('refused in a syscall program, with the kernel\'s message (observed on 6.18)', () => {
    const [v] = verify(obj('syscall', sliceRdwr), '6.18');
    expect(v?.ok).toBe(false);
    expect(v?.message).toBe('the prog does not allow writes to packet data');
    expect(v?.insn).toBe(1);
  });
  test('accepted in tc and xdp programs', () => {
    expect(verify(obj('tc', sliceRdwr), '6.18')[0]?.ok).toBe(true);
    expect(verify(obj('xdp', sliceRdwr), '6.19')[0]?.ok).toBe(true);
  });
});

describe('a kfunc returning bool sets only the low byte of R0', () => {
  test('renderC declares it __u64 and masks the byte', () => {
    const c = renderC(obj('syscall', [
      P.call('bpf_dynptr_from_mem', [P.buf('mem'), P.imm(16), P.imm(0), P.dynptr('d')], 'r0'),
      P.call('bpf_dynptr_is_null', [P.dynptr('d')], 'r6'),
    ]));
    expect(c).toContain('extern __u64 bpf_dynptr_is_null(const struct bpf_dynptr *p) __ksym;');
    expect(c).toContain('r6 = (bool)(bpf_dynptr_is_null(&d) & 0xff);');
  });
});

describe('u64 array globals and indexed stores (the conformance return-value array)', () => {
  const body = [
    P.call('bpf_dynptr_from_mem', [P.buf('mem'), P.imm(16), P.imm(1), P.dynptr('d')], 'r0'),
    P.storeAt('rets', 0, P.r('r0')),
    P.call('bpf_dynptr_size', [P.dynptr('d')], 'r1'),
    P.storeAt('rets', 3, P.r('r1')),
  ];
  test('rendered as __u64 name[n] and name[i] = v', () => {
    const c = renderC(obj('syscall', body));
    expect(c).toContain('__u64 rets[4] = {};');
    expect(c).toContain('\trets[0] = r0;');
    expect(c).toContain('\trets[3] = r1;');
  });
  test('the interpreter stores little-endian u64s (6.18: size of a null dynptr is -EINVAL as a u32)', () => {
    const s = new Session({ version: '6.18' });
    s.load(obj('syscall', body));
    s.spawn({ comm: 't', script: [{ sys: 'prog_test_run', prog: 'prog' }] });
    s.simulate();
    const g = s.global('rets') as Uint8Array;
    const dv = new DataView(g.buffer, g.byteOffset, g.byteLength);
    expect(g.length).toBe(32);
    expect(dv.getBigUint64(0, true)).toBe(BigInt.asUintN(64, -22n));
    expect(dv.getBigUint64(8, true)).toBe(0n);
    expect(dv.getBigUint64(24, true)).toBe(4294967274n);
  });
});
