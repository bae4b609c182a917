/**
 * SKB, SKB_META and XDP dynptrs over packets built as BPF_PROG_TEST_RUN builds them
 * (net/core/filter.c, net/bpf/test_run.c). Expected values
 * come from those rules and from the bytes the test gives: packet byte i is `pat(i)`.
 */
import { describe, expect, test } from 'vitest';
import { ArgumentError, E2BIG, EFAULT, EINVAL, ENOMEM, packets, Session, type KernelVersion, type SkbSpec } from '../src/index.ts';
import { skbLoadBytes } from '../src/model/packet/skb.ts';
import { testRunBytes, testRunHex } from '../src/model/packet/create.ts';
import { testRunLength } from '../src/model/packet/types.ts';
import fc from 'fast-check';

const pat = (i: number): number => (i * 7 + 3) & 0xff;
const frame = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => pat(i));
const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => pat(from + i));
const ptr = (v: unknown): Uint8Array | null => v as Uint8Array | null;

function skb(spec: Omit<SkbSpec, 'kind'>, version: KernelVersion = '6.19'): { s: Session; id: number } {
  const s = new Session({ version });
  const id = s.packet({ kind: 'skb', ...spec });
  expect(id).toBeGreaterThan(0);
  return { s, id };
}

describe('skb as BPF_PROG_TEST_RUN builds it', () => {
  test('fewer than 14 bytes → -EINVAL', () => {
    expect(new Session().packet({ kind: 'skb', data: frame(13) })).toBe(-EINVAL);
  });

  test('6.19: ctx->data_end picks the linear size (at least 14); the rest goes into 4 KiB frags', () => {
    const { s, id } = skb({ data: frame(10000), linear: 20 });
    expect(s.packetView(id)).toMatchObject({ len: 10000, linear: 20, frags: [4096, 4096, 1788] });
    expect(s.packetView(s.packet({ kind: 'skb', data: frame(100), linear: 5 }))).toMatchObject({ linear: 14, frags: [86] });
  });

  test('6.19: a long packet is non-linear past SKB_MAX_LINEAR even without data_end; 6.18 refuses it', () => {
    expect(packets.SKB_MAX_LINEAR).toBe(4096 - 64 - 320);
    const { s, id } = skb({ data: frame(4000) });
    expect(s.packetView(id)).toMatchObject({ linear: 3712, frags: [288] });
    expect(new Session({ version: '6.18' }).packet({ kind: 'skb', data: frame(4000) })).toBe(-EINVAL);
    expect(new Session({ version: '6.18' }).packet({ kind: 'skb', data: frame(3712) })).toBeGreaterThan(0);
  });

  test('data_end: not before 6.19, not past the packet, not for LWT programs', () => {
    expect(new Session({ version: '6.18' }).packet({ kind: 'skb', data: frame(100), linear: 50 })).toBe(-EINVAL);
    expect(new Session().packet({ kind: 'skb', data: frame(100), linear: 101 })).toBe(-EINVAL);
    expect(new Session().packet({ kind: 'skb', data: frame(100), linear: 50, progType: 'LWT_IN' })).toBe(-EINVAL);
  });

  test('data_end 0 is no data_end: accepted on 6.18 (the field is zero) and for LWT programs (7.2.13 test_run.c looks only at a non-zero one)', () => {
    const s18 = new Session({ version: '6.18' });
    expect(s18.packetView(s18.packet({ kind: 'skb', data: frame(3710), linear: 0 }))).toMatchObject({ len: 3710, linear: 3710, frags: [] });
    const s = new Session();
    expect(s.packet({ kind: 'skb', data: frame(100), linear: 0, progType: 'LWT_IN' })).toBeGreaterThan(0);
    expect(s.packetView(s.packet({ kind: 'skb', data: frame(100), linear: 0 }))).toMatchObject({ linear: 100, frags: [] });
  });

  test('more than MAX_SKB_FRAGS (17) frags → -ENOMEM', () => {
    expect(new Session().packet({ kind: 'skb', data: frame(14 + 17 * 4096), linear: 14 })).toBeGreaterThan(0);
    expect(new Session().packet({ kind: 'skb', data: frame(14 + 17 * 4096 + 1), linear: 14 })).toBe(-ENOMEM);
  });
});

describe('bpf_dynptr_from_skb', () => {
  test('tc: offset 0 is the MAC header, size skb->len, writable', () => {
    const { s, id } = skb({ data: frame(100) });
    expect(s.bpf_dynptr_from_skb(id, 0, 'd')).toBe(0);
    expect(s.bpf_dynptr_size('d')).toBe(100n);
    expect(s.bpf_dynptr_is_rdonly('d')).toBe(false);
    const out = new Uint8Array(4);
    expect(s.bpf_dynptr_read(out, 4, 'd', 0, 0)).toBe(0);
    expect([...out]).toEqual(range(0, 4));
  });

  test('cgroup_skb and socket_filter: offset 0 is the network header (14 bytes in), read-only', () => {
    for (const progType of ['CGROUP_SKB', 'SOCKET_FILTER', 'LWT_IN', 'LWT_OUT', 'LWT_SEG6LOCAL'] as const) {
      const { s, id } = skb({ data: frame(100), progType });
      expect(s.bpf_dynptr_from_skb(id, 0, 'd')).toBe(0);
      expect(s.bpf_dynptr_size('d'), progType).toBe(86n);
      expect(s.bpf_dynptr_is_rdonly('d'), progType).toBe(true);
      const out = new Uint8Array(2);
      expect(s.bpf_dynptr_read(out, 2, 'd', 0, 0)).toBe(0);
      expect([...out]).toEqual(range(14, 2));
      // Read-only: a write is -EINVAL before its bounds; slice_rdwr is NULL.
      expect(s.bpf_dynptr_write('d', 1000, out, 2, 0)).toBe(-EINVAL);
      expect(s.bpf_dynptr_slice_rdwr('d', 0, null, 2)).toBeNull();
      expect(s.bpf_dynptr_memset('d', 0, 2, 0)).toBe(-EINVAL);
      // Adjust keeps the read-only bit.
      expect(s.bpf_dynptr_adjust('d', 1, 3)).toBe(0);
      expect(s.bpf_dynptr_is_rdonly('d')).toBe(true);
    }
    const { s, id } = skb({ data: frame(100), progType: 'LWT_XMIT' });
    expect(s.bpf_dynptr_from_skb(id, 0, 'd')).toBe(0);
    expect(s.bpf_dynptr_is_rdonly('d')).toBe(false);
  });

  test('flags ≠ 0 → -EINVAL, null', () => {
    const { s, id } = skb({ data: frame(100) });
    expect(s.bpf_dynptr_from_skb(id, 1, 'd')).toBe(-EINVAL);
    expect(s.bpf_dynptr_is_null('d')).toBe(true);
  });

  test('an xdp packet is not an skb context', () => {
    const s = new Session();
    const x = s.packet({ kind: 'xdp', data: frame(100) });
    expect(() => s.bpf_dynptr_from_skb(x, 0, 'd')).toThrow(/skb context/);
  });
});

describe('SKB reads, writes and slices', () => {
  test('a read gathers the linear part and the frags', () => {
    const { s, id } = skb({ data: frame(10000), linear: 20 });
    expect(s.bpf_dynptr_from_skb(id, 0, 'd')).toBe(0);
    const out = new Uint8Array(5000);
    expect(s.bpf_dynptr_read(out, 5000, 'd', 10, 0)).toBe(0);
    expect([...out]).toEqual(range(10, 5000));
    expect(s.bpf_dynptr_read(out, 2, 'd', 9999, 0)).toBe(-E2BIG);
  });

  test('__bpf_skb_load_bytes past skb->len: -EFAULT and the destination zeroed', () => {
    const { s, id } = skb({ data: frame(100) });
    const p = s.world.packets.get(id)!;
    const dst = new Uint8Array(8).fill(0xee);
    expect(p.kind === 'skb' && skbLoadBytes(p, 96, dst, 8)).toBe(-EFAULT);
    expect([...dst]).toEqual(new Array(8).fill(0));
  });

  test('a slice in the linear part is direct; elsewhere it is a copy into the buffer, or NULL without one', () => {
    const { s, id } = skb({ data: frame(200), linear: 50 });
    expect(s.bpf_dynptr_from_skb(id, 0, 'd')).toBe(0);
    const buf = new Uint8Array(10).fill(0xee);
    const direct = ptr(s.bpf_dynptr_slice('d', 40, buf, 10));
    expect(direct).not.toBe(buf);
    expect([...direct!]).toEqual(range(40, 10));
    expect([...buf]).toEqual(new Array(10).fill(0xee)); // buffer untouched
    expect(s.bpf_dynptr_slice('d', 45, buf, 10)).toBe(buf); // crosses into the frag
    expect([...buf]).toEqual(range(45, 10));
    expect(s.bpf_dynptr_slice('d', 45, null, 10)).toBeNull();
    expect(s.bpf_dynptr_slice('d', 40, null, 10)).not.toBeNull();
    expect(s.bpf_dynptr_data('d', 0, 4)).toBeNull(); // never for SKB
  });

  test('slice_rdwr: a direct view writes the packet; a copy is not written back', () => {
    const { s, id } = skb({ data: frame(200), linear: 50 });
    expect(s.bpf_dynptr_from_skb(id, 0, 'd')).toBe(0);
    ptr(s.bpf_dynptr_slice_rdwr('d', 0, null, 2))!.set([0xaa, 0xbb]);
    const buf = new Uint8Array(10);
    expect(s.bpf_dynptr_slice_rdwr('d', 100, buf, 10)).toBe(buf);
    buf.fill(0xcc);
    const v = s.packetView(id);
    expect([...v.data.subarray(0, 2)]).toEqual([0xaa, 0xbb]);
    expect([...v.data.subarray(100, 110)]).toEqual(range(100, 10));
  });

  test('a write pulls [0, offset + len) into the linear part: later slices there are direct', () => {
    const { s, id } = skb({ data: frame(10000), linear: 20 });
    expect(s.bpf_dynptr_from_skb(id, 0, 'd')).toBe(0);
    const buf = new Uint8Array(4);
    expect(s.bpf_dynptr_slice('d', 100, buf, 4)).toBe(buf);
    expect(s.bpf_dynptr_write('d', 100, Uint8Array.of(1, 2, 3, 4), 4, 0)).toBe(0);
    const v = s.packetView(id);
    expect(v.linear).toBe(104);
    expect(v.len).toBe(10000);
    expect([...v.data.subarray(96, 108)]).toEqual([...range(96, 4), 1, 2, 3, 4, ...range(104, 4)]);
    const direct = ptr(s.bpf_dynptr_slice('d', 100, buf, 4));
    expect(direct).not.toBe(buf);
    expect([...direct!]).toEqual([1, 2, 3, 4]);
  });

  test('write flags: BPF_F_RECOMPUTE_CSUM and BPF_F_INVALIDATE_HASH only (after the bounds); the latter clears the hash', () => {
    const { s, id } = skb({ data: frame(100), hash: 0x1234 });
    expect(s.bpf_dynptr_from_skb(id, 0, 'd')).toBe(0);
    expect(s.bpf_dynptr_write('d', 0, new Uint8Array(2), 2, 4)).toBe(-EINVAL);
    expect(s.bpf_dynptr_write('d', 99, new Uint8Array(2), 2, 4)).toBe(-E2BIG);
    expect(s.bpf_dynptr_write('d', 0, new Uint8Array(2), 2, 1)).toBe(0);
    expect(s.packetView(id).hash).toBe(0x1234);
    expect(s.bpf_dynptr_write('d', 0, new Uint8Array(2), 2, 3)).toBe(0);
    expect(s.packetView(id).hash).toBe(0);
  });

  test('a pull that must reallocate the head, or a cloned head, fails with -EFAULT when the allocation does', () => {
    const { s, id } = skb({ data: frame(10000), linear: 20 });
    expect(s.bpf_dynptr_from_skb(id, 0, 'd')).toBe(0);
    // Within the head's room (SKB_MAX_LINEAR): no allocation, the injected failure stays.
    s.injectAllocFailure(1);
    expect(s.bpf_dynptr_write('d', 3000, new Uint8Array(1), 1, 0)).toBe(0);
    // Past it: the head is reallocated, and the failure is consumed here.
    expect(s.bpf_dynptr_write('d', 5000, new Uint8Array(1), 1, 0)).toBe(-EFAULT);
    expect(s.packetView(id).linear).toBe(3001);
    expect(s.bpf_dynptr_write('d', 5000, new Uint8Array(1), 1, 0)).toBe(0);
    const c = skb({ data: frame(100), cloned: true });
    expect(c.s.bpf_dynptr_from_skb(c.id, 0, 'd')).toBe(0);
    c.s.injectAllocFailure(1);
    expect(c.s.bpf_dynptr_write('d', 0, new Uint8Array(1), 1, 0)).toBe(-EFAULT);
    expect(c.s.bpf_dynptr_write('d', 0, new Uint8Array(1), 1, 0)).toBe(0);
    expect(c.s.packetView(c.id).cloned).toBe(false);
  });

  test('an earlier world keeps its packet bytes', () => {
    const { s, id } = skb({ data: frame(100) });
    expect(s.bpf_dynptr_from_skb(id, 0, 'd')).toBe(0);
    const before = s.world;
    expect(s.bpf_dynptr_write('d', 0, Uint8Array.of(9), 1, 0)).toBe(0);
    expect(before.packets.get(id)?.head[0]).toBe(pat(0));
    expect(s.world.packets.get(id)?.head[0]).toBe(9);
  });
});

describe('SKB_META dynptrs', () => {
  const meta = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);

  test('size skb_metadata_len; slices always direct; data NULL; write flags ≠ 0 → -EINVAL', () => {
    const { s, id } = skb({ data: frame(100), meta });
    expect(s.bpf_dynptr_from_skb_meta(id, 0, 'm')).toBe(0);
    expect(s.bpf_dynptr_size('m')).toBe(8n);
    expect(s.bpf_dynptr_is_rdonly('m')).toBe(false);
    const buf = new Uint8Array(4);
    const v = ptr(s.bpf_dynptr_slice('m', 2, buf, 4));
    expect(v).not.toBe(buf);
    expect([...v!]).toEqual([3, 4, 5, 6]);
    expect(s.bpf_dynptr_data('m', 0, 1)).toBeNull();
    expect(s.bpf_dynptr_write('m', 0, Uint8Array.of(9), 1, 1)).toBe(-EINVAL);
    expect(s.bpf_dynptr_write('m', 0, Uint8Array.of(9), 1, 0)).toBe(0);
    expect([...s.packetView(id).meta]).toEqual([9, 2, 3, 4, 5, 6, 7, 8]);
    expect(s.bpf_dynptr_from_skb_meta(id, 1, 'n')).toBe(-EINVAL);
    expect(s.bpf_dynptr_is_null('n')).toBe(true);
  });

  test('6.18 and 6.19: read-only for a cloned skb; from 7.0 a write copies the cloned head (-EFAULT if that fails)', () => {
    for (const version of ['6.18', '6.19'] as const) {
      const { s, id } = skb({ data: frame(100), meta, cloned: true }, version);
      expect(s.bpf_dynptr_from_skb_meta(id, 0, 'm')).toBe(0);
      expect(s.bpf_dynptr_is_rdonly('m')).toBe(true);
      expect(s.bpf_dynptr_write('m', 0, Uint8Array.of(9), 1, 0)).toBe(-EINVAL);
    }
    const { s, id } = skb({ data: frame(100), meta, cloned: true }, '7.0');
    expect(s.bpf_dynptr_from_skb_meta(id, 0, 'm')).toBe(0);
    expect(s.bpf_dynptr_is_rdonly('m')).toBe(false);
    s.injectAllocFailure(1);
    expect(s.bpf_dynptr_write('m', 0, Uint8Array.of(9), 1, 0)).toBe(-EFAULT);
    expect(s.bpf_dynptr_write('m', 0, Uint8Array.of(9), 1, 0)).toBe(0);
    expect(s.packetView(id)).toMatchObject({ cloned: false });
    expect(s.packetView(id).meta[0]).toBe(9);
  });

  test('only tc skbs (the verifier refuses the kfunc elsewhere); metadata is at most 255 bytes', () => {
    const { s, id } = skb({ data: frame(100), progType: 'CGROUP_SKB' });
    expect(() => s.bpf_dynptr_from_skb_meta(id, 0, 'm')).toThrow(ArgumentError);
    expect(() => new Session().packet({ kind: 'skb', data: frame(100), meta: new Uint8Array(256) })).toThrow(ArgumentError);
  });
});

describe('xdp_buff as BPF_PROG_TEST_RUN builds it', () => {
  test('metadata: a multiple of 4, at most 255; at least 14 bytes after it', () => {
    const s = new Session();
    expect(s.packet({ kind: 'xdp', data: frame(100), meta: 4 })).toBeGreaterThan(0);
    expect(s.packet({ kind: 'xdp', data: frame(100), meta: 3 })).toBe(-EINVAL);
    expect(s.packet({ kind: 'xdp', data: frame(400), meta: 256 })).toBe(-EINVAL);
    expect(s.packet({ kind: 'xdp', data: frame(17), meta: 4 })).toBe(-EINVAL);
    expect(s.packet({ kind: 'xdp', data: frame(18), meta: 4 })).toBeGreaterThan(0);
    expect(s.packet({ kind: 'xdp', data: frame(100), linear: 101 })).toBe(-EINVAL);
    expect(s.packet({ kind: 'xdp', data: frame(100), meta: 8, linear: 4 })).toBe(-EINVAL);
  });

  test('the linear part is at most XDP_MAX_LINEAR past the metadata; the rest in page frags (at most 17)', () => {
    expect(packets.XDP_MAX_LINEAR).toBe(4096 - 256 - 320);
    const s = new Session();
    expect(s.packetView(s.packet({ kind: 'xdp', data: frame(20000) }))).toMatchObject({ len: 20000, linear: 3520, frags: [4096, 4096, 4096, 4096, 96] });
    const m = s.packet({ kind: 'xdp', data: frame(20000), meta: 8 });
    expect(s.packetView(m)).toMatchObject({ len: 19992, linear: 3520 });
    expect([...s.packetView(m).meta]).toEqual(range(0, 8));
    expect(s.packetView(s.packet({ kind: 'xdp', data: frame(300), linear: 100 }))).toMatchObject({ linear: 100, frags: [200] });
    expect(s.packet({ kind: 'xdp', data: frame(3520 + 17 * 4096) })).toBeGreaterThan(0);
    expect(s.packet({ kind: 'xdp', data: frame(3520 + 17 * 4096 + 1) })).toBe(-ENOMEM);
  });
});

describe('XDP dynptrs', () => {
  const BIG = 3520 + 17 * 4096; // 73152 bytes: offsets above 0xffff exist
  function xdp(n = BIG, meta = 0): { s: Session; id: number } {
    const s = new Session();
    const id = s.packet({ kind: 'xdp', data: frame(n), meta });
    expect(s.bpf_dynptr_from_xdp(id, 0, 'd')).toBe(0);
    return { s, id };
  }

  test('size: linear part and frags, not the metadata; writable; flags ≠ 0 → -EINVAL, null', () => {
    const { s, id } = xdp(5000, 8);
    expect(s.bpf_dynptr_size('d')).toBe(4992n);
    expect(s.bpf_dynptr_is_rdonly('d')).toBe(false);
    const out = new Uint8Array(2);
    expect(s.bpf_dynptr_read(out, 2, 'd', 0, 0)).toBe(0);
    expect([...out]).toEqual(range(8, 2));
    expect(s.bpf_dynptr_from_xdp(id, 2, 'e')).toBe(-EINVAL);
    expect(s.bpf_dynptr_is_null('e')).toBe(true);
  });

  test('read and write: an offset or length above 0xffff is -EFAULT even inside the dynptr; dst untouched', () => {
    const { s } = xdp();
    const out = new Uint8Array(1).fill(0xee);
    expect(s.bpf_dynptr_read(out, 1, 'd', 0xffff, 0)).toBe(0);
    expect(out[0]).toBe(pat(0xffff));
    out.fill(0xee);
    expect(s.bpf_dynptr_read(out, 1, 'd', 0x10000, 0)).toBe(-EFAULT);
    expect(out[0]).toBe(0xee);
    expect(s.bpf_dynptr_read(new Uint8Array(0x10000), 0x10000, 'd', 0, 0)).toBe(-EFAULT);
    expect(s.bpf_dynptr_write('d', 0x10000, Uint8Array.of(1), 1, 0)).toBe(-EFAULT);
    expect(s.bpf_dynptr_write('d', BIG, Uint8Array.of(1), 1, 0)).toBe(-E2BIG);
  });

  test('a range across the linear part and a frag is read and written piece by piece', () => {
    const { s, id } = xdp();
    const out = new Uint8Array(20);
    expect(s.bpf_dynptr_read(out, 20, 'd', 3510, 0)).toBe(0);
    expect([...out]).toEqual(range(3510, 20));
    expect(s.bpf_dynptr_write('d', 3515, new Uint8Array(10).fill(1), 10, 0)).toBe(0);
    expect([...s.packetView(id).data.subarray(3514, 3526)]).toEqual([pat(3514), ...new Array(10).fill(1), pat(3525)]);
    expect(s.bpf_dynptr_write('d', 0, new Uint8Array(1), 1, 1)).toBe(-EINVAL);
  });

  test('slices: direct inside one piece, a copy across pieces or above 0xffff (no limit there), NULL without a buffer', () => {
    const { s } = xdp();
    const buf = new Uint8Array(100).fill(0xee);
    const inFrag = ptr(s.bpf_dynptr_slice('d', 3520 + 10, buf, 100));
    expect(inFrag).not.toBe(buf);
    expect([...inFrag!]).toEqual(range(3530, 100));
    expect(s.bpf_dynptr_slice('d', 3500, buf, 100)).toBe(buf);
    expect([...buf]).toEqual(range(3500, 100));
    expect(s.bpf_dynptr_slice('d', 3500, null, 100)).toBeNull();
    expect(s.bpf_dynptr_slice('d', 0x10000, buf, 100)).toBe(buf);
    expect([...buf]).toEqual(range(0x10000, 100));
    expect(s.bpf_dynptr_slice('d', 0x10000, null, 100)).toBeNull();
    expect(s.bpf_dynptr_data('d', 0, 4)).toBeNull();
  });
});

describe('BPF_PROG_TEST_RUN data_in', () => {
  test('the length the trace shows is the length of the bytes the run gets, for every form of data_in', () => {
    // pkt_v4 is the selftests' 54-byte packet (ETH 14 + IPv4 20 + TCP 20).
    expect(testRunLength('pkt_v4')).toBe(54);
    fc.assert(fc.property(
      fc.oneof(fc.constant('pkt_v4' as const), fc.string({ maxLength: 41 }), fc.record({ size: fc.nat({ max: 300 }), fill: fc.option(fc.nat({ max: 255 }), { nil: undefined }), head: fc.option(fc.string({ maxLength: 9 }), { nil: undefined }) })),
      (spec) => { expect(testRunLength(spec)).toBe(testRunBytes(spec).length); },
    ));
  });

  test('bytes written as data_in hex text read back as the same bytes: two lowercase digits a byte', () => {
    expect(testRunHex(Uint8Array.of(0, 0x0f, 0x10, 0xab, 0xff))).toBe('000f10abff');
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      const hex = testRunHex(b);
      expect(hex).toMatch(/^(?:[0-9a-f]{2})*$/);
      expect(testRunBytes(hex)).toEqual(b);
    }));
  });
});
