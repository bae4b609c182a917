/**
 * BPF ring buffers and RINGBUF dynptrs (kernel/bpf/ringbuf.c
 * `ringbuf_map_alloc`, `__bpf_ringbuf_reserve`, `bpf_ringbuf_commit`, the dynptr helpers; libbpf
 * `ringbuf_process_ring`). Expected values are computed here from the rules: a record occupies
 * round_up(size + 8, 8) bytes; a ring of S bytes holds at most S - 1 bytes of records counted from
 * the consumer (and from the oldest record still reserved).
 */
import { describe, expect, test } from 'vitest';
import {
  ArgumentError, BPF_F_NUMA_NODE, BPF_F_RB_OVERWRITE, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, E2BIG, EINVAL, ENOMEM, ENOTSUPP,
  content, program as P, refSnapshot, Session, UseAfterFreeError, type BpfObject, type KernelVersion,
} from '../src/index.ts';

const roundUp8 = (n: number): number => Math.ceil(n / 8) * 8;
const rec = (size: number): number => roundUp8(size + 8);

function ring(size = 4096, opts: { flags?: number; version?: KernelVersion } = {}): { s: Session; map: number } {
  const s = new Session({ version: opts.version ?? '6.19' });
  const map = s.createMap({ name: 'rb', type: 'ringbuf', maxEntries: size, flags: opts.flags });
  expect(map).toBeGreaterThan(0);
  return { s, map };
}

const bytes = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

describe('BPF_MAP_TYPE_RINGBUF creation (ringbuf_map_alloc)', () => {
  test('max_entries must be a power of 2 and a multiple of the page size', () => {
    const s = new Session();
    for (const ok of [4096, 8192, 1 << 20]) expect(s.createMap({ type: 'ringbuf', maxEntries: ok })).toBeGreaterThan(0);
    for (const bad of [0, 1, 2048, 4095, 4097, 12288]) expect(s.createMap({ type: 'ringbuf', maxEntries: bad }), String(bad)).toBe(-EINVAL);
  });

  test('key_size and value_size must be 0', () => {
    const s = new Session();
    expect(s.createMap({ type: 'ringbuf', maxEntries: 4096, keySize: 4 })).toBe(-EINVAL);
    expect(s.createMap({ type: 'ringbuf', maxEntries: 4096, valueSize: 8 })).toBe(-EINVAL);
  });

  test('flags: BPF_F_NUMA_NODE accepted; BPF_F_RB_OVERWRITE from 6.19 only; anything else -EINVAL (checked first)', () => {
    expect(new Session({ version: '6.19' }).createMap({ type: 'ringbuf', maxEntries: 4096, flags: BPF_F_NUMA_NODE })).toBeGreaterThan(0);
    expect(new Session({ version: '6.19' }).createMap({ type: 'ringbuf', maxEntries: 4096, flags: BPF_F_RB_OVERWRITE })).toBeGreaterThan(0);
    expect(new Session({ version: '6.18' }).createMap({ type: 'ringbuf', maxEntries: 4096, flags: BPF_F_RB_OVERWRITE })).toBe(-EINVAL);
    expect(new Session().createMap({ type: 'ringbuf', maxEntries: 4096, flags: 1 })).toBe(-EINVAL);
    // Flags before sizes: a bad flag on a bad size is still the flag's -EINVAL (same errno; no allocation is consumed).
    const s = new Session();
    s.injectAllocFailure(1);
    expect(s.createMap({ type: 'ringbuf', maxEntries: 4095, flags: 1 })).toBe(-EINVAL);
    expect(s.createMap({ type: 'ringbuf', maxEntries: 4096 })).toBe(-ENOMEM);
    expect(s.createMap({ type: 'ringbuf', maxEntries: 4096 })).toBeGreaterThan(0);
  });

  test('a ring buffer has no value type: one with a bpf_task_work is -EINVAL (value_size 0 matches no type)', () => {
    expect(new Session().createMap({ type: 'ringbuf', maxEntries: 4096, taskWorkFields: 1 })).toBe(-EINVAL);
  });

  test('map element operations from user space: -ENOTSUPP (524)', () => {
    const s = new Session();
    s.load({ name: 'o', maps: [{ name: 'rb', type: 'ringbuf', maxEntries: 4096, valueSize: 0, taskWorkFields: 0 }], globals: [], programs: [], subprogs: [] });
    const pid = s.spawn({ comm: 't', script: [{ sys: 'map_update', map: 'rb', key: 0 }, { sys: 'map_delete', map: 'rb', key: 0 }, { sys: 'exit' }] });
    s.simulate();
    expect(s.world.tasks.get(pid)?.results.slice(0, 2)).toEqual([BigInt(-ENOTSUPP), BigInt(-ENOTSUPP)]);
    expect(ENOTSUPP).toBe(524);
  });
});

describe('bpf_ringbuf_reserve_dynptr: checks in order, the dynptr null on each failure', () => {
  test('flags ≠ 0 → -EINVAL before the size check; null', () => {
    const { s, map } = ring();
    expect(s.bpf_ringbuf_reserve_dynptr(map, 2 ** 24, 1, 'd')).toBe(-EINVAL);
    expect(s.bpf_dynptr_is_null('d')).toBe(true);
    expect(s.ringbuf(map).producerPos).toBe(0);
  });

  test('size > 2^24 - 1 → -E2BIG; null', () => {
    const { s, map } = ring(1 << 25);
    expect(s.bpf_ringbuf_reserve_dynptr(map, 2 ** 24, 0, 'd')).toBe(-E2BIG);
    expect(s.bpf_dynptr_is_null('d')).toBe(true);
    // 2^24 - 1 fits a 2^25-byte ring.
    expect(s.bpf_ringbuf_reserve_dynptr(map, 2 ** 24 - 1, 0, 'e')).toBe(0);
    expect(s.bpf_dynptr_size('e')).toBe(2n ** 24n - 1n);
  });

  test('size is a u32: 2^32 + 16 is 16', () => {
    const { s, map } = ring();
    expect(s.bpf_ringbuf_reserve_dynptr(map, 2n ** 32n + 16n, 0, 'd')).toBe(0);
    expect(s.bpf_dynptr_size('d')).toBe(16n);
  });

  test('a record that does not fit → -EINVAL (not -EAGAIN); null; nothing reserved', () => {
    const { s, map } = ring(4096);
    // 4096 - 8 payload bytes make a 4096-byte record: as large as the ring, but the ring holds at most 4095.
    expect(s.bpf_ringbuf_reserve_dynptr(map, 4088, 0, 'd')).toBe(-EINVAL);
    expect(s.bpf_dynptr_is_null('d')).toBe(true);
    expect(s.bpf_ringbuf_reserve_dynptr(map, 4089, 0, 'd')).toBe(-EINVAL);
    expect(s.ringbuf(map).producerPos).toBe(0);
    // The largest record is 4088 bytes: a payload of 4080.
    expect(rec(4080)).toBe(4088);
    expect(s.bpf_ringbuf_reserve_dynptr(map, 4080, 0, 'e')).toBe(0);
    expect(s.ringbuf(map).producerPos).toBe(4088);
  });

  test('records take round_up(size + 8, 8) bytes; the ring refuses what would reach the consumer', () => {
    const { s, map } = ring(4096);
    const sizes = [2000, 2000, 64];
    let prod = 0;
    sizes.forEach((n, i) => {
      expect(s.bpf_ringbuf_reserve_dynptr(map, n, 0, `r${i}`)).toBe(0);
      prod += rec(n);
      expect(s.ringbuf(map).producerPos).toBe(prod);
    });
    expect(prod).toBe(4088);
    expect(s.bpf_ringbuf_reserve_dynptr(map, 0, 0, 'x')).toBe(-EINVAL); // 8 more bytes: 4096 > 4095
    // Submitted but not consumed: still no room.
    for (let i = 0; i < sizes.length; i += 1) s.bpf_ringbuf_submit_dynptr(`r${i}`, 0);
    expect(s.bpf_ringbuf_reserve_dynptr(map, 0, 0, 'x')).toBe(-EINVAL);
    // Consumed: the consumer moves past them and the space is back.
    expect(s.ringbufConsume(map).map((r) => r.length)).toEqual(sizes);
    expect(s.ringbuf(map).consumerPos).toBe(4088);
    expect(s.bpf_ringbuf_reserve_dynptr(map, 4080, 0, 'y')).toBe(0);
  });

  test('the map must be a ring buffer; a live reserved dynptr cannot be overwritten', () => {
    const { s, map } = ring();
    const arr = s.createMap({ type: 'array', maxEntries: 1 });
    expect(() => s.bpf_ringbuf_reserve_dynptr(arr, 8, 0, 'd')).toThrow(ArgumentError);
    expect(s.bpf_ringbuf_reserve_dynptr(map, 8, 0, 'd')).toBe(0);
    expect(() => s.bpf_ringbuf_reserve_dynptr(map, 8, 0, 'd')).toThrow(/cannot overwrite referenced dynptr/);
    expect(() => s.bpf_dynptr_from_mem(new Uint8Array(4), 4, 0, 'd')).toThrow(ArgumentError);
    s.bpf_ringbuf_discard_dynptr('d', 0);
    expect(s.bpf_dynptr_from_mem(new Uint8Array(4), 4, 0, 'd')).toBe(0);
  });

  test('a clone may be overwritten while another slot holds the record; the last holder may not', () => {
    const { s, map } = ring();
    expect(s.bpf_ringbuf_reserve_dynptr(map, 8, 0, 'd')).toBe(0);
    expect(s.bpf_dynptr_clone('d', 'c')).toBe(0);
    // 'd' still holds the record at 0: 'c' takes a record of its own, at rec(8).
    expect(s.bpf_ringbuf_reserve_dynptr(map, 8, 0, 'c')).toBe(0);
    expect(s.bpf_dynptr_memset('c', 0, 8, 2)).toBe(0);
    expect(s.bpf_dynptr_memset('d', 0, 8, 1)).toBe(0);
    expect(() => s.bpf_ringbuf_reserve_dynptr(map, 8, 0, 'd')).toThrow(/cannot overwrite referenced dynptr/);
    s.bpf_ringbuf_submit_dynptr('c', 0);
    s.bpf_ringbuf_submit_dynptr('d', 0);
    expect(s.ringbuf(map).producerPos).toBe(2 * rec(8));
    expect(s.ringbufConsume(map).map((r) => [...r])).toEqual([new Array(8).fill(1), new Array(8).fill(2)]);
  });

  test('a program that overwrites a clone: 7.x loads and runs it (a clone still holds the reference), 6.19 refuses it', () => {
    const { imm, dynptr, call, ret, map } = P;
    const object = (): BpfObject => ({
      name: 'o', maps: [{ name: 'rb', type: 'ringbuf', maxEntries: 4096, valueSize: 0, taskWorkFields: 0 }], globals: [], subprogs: [],
      programs: [{ name: 'p', section: 'lsm/file_open', body: [
        call('bpf_ringbuf_reserve_dynptr', [map('rb'), imm(8), imm(0), dynptr('d')]),
        call('bpf_dynptr_clone', [dynptr('d'), dynptr('c')]),
        call('bpf_ringbuf_reserve_dynptr', [map('rb'), imm(16), imm(0), dynptr('c')]),
        call('bpf_ringbuf_submit_dynptr', [dynptr('c'), imm(0)]),
        call('bpf_ringbuf_submit_dynptr', [dynptr('d'), imm(0)]),
        ret(imm(0)),
      ] }],
    });
    const s = new Session({ version: '7.2' });
    s.createFile({ path: '/f', content: content.pattern(1), size: 4096 });
    s.load(object());
    s.spawn({ comm: 't', script: [{ sys: 'open', path: '/f', fd: 'f' }] });
    s.simulate();
    // The record of 8 bytes at 0 ('d'), then the one of 16 at rec(8) ('c'): both submitted.
    expect(s.ringbufConsume('rb').map((r) => r.length)).toEqual([8, 16]);
    expect(() => new Session({ version: '6.19' }).load(object())).toThrow(/cannot overwrite referenced dynptr/);
  });
});

describe('RINGBUF dynptr accesses (the LOCAL rules on the record)', () => {
  test('writable, size as reserved, offset 0; read, write, data, slice, adjust', () => {
    const { s, map } = ring();
    expect(s.bpf_ringbuf_reserve_dynptr(map, 32, 0, 'd')).toBe(0);
    expect(s.bpf_dynptr_is_rdonly('d')).toBe(false);
    expect(s.bpf_dynptr_size('d')).toBe(32n);
    expect(s.bpf_dynptr_write('d', 4, bytes(8, 0xab), 8, 0)).toBe(0);
    expect(s.bpf_dynptr_write('d', 4, bytes(8, 0xab), 8, 1)).toBe(-EINVAL); // flags after bounds
    expect(s.bpf_dynptr_write('d', 30, bytes(8, 0xab), 8, 1)).toBe(-E2BIG);
    const out = new Uint8Array(12);
    expect(s.bpf_dynptr_read(out, 12, 'd', 0, 0)).toBe(0);
    expect([...out]).toEqual([0, 0, 0, 0, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab]);
    // bpf_dynptr_data and slice_rdwr are direct, writable views of the record.
    const v = s.bpf_dynptr_data('d', 0, 4) as Uint8Array | null;
    expect(v).not.toBeNull();
    v!.set([1, 2, 3, 4]);
    expect(s.bpf_dynptr_read(out, 4, 'd', 0, 0)).toBe(0);
    expect([...out.subarray(0, 4)]).toEqual([1, 2, 3, 4]);
    const sl = s.bpf_dynptr_slice('d', 4, null, 2) as Uint8Array | null;
    expect(sl === null ? null : [...sl]).toEqual([0xab, 0xab]);
    // Adjust narrows the dynptr; the submit still commits the whole record (ptr->data).
    expect(s.bpf_dynptr_adjust('d', 8, 16)).toBe(0);
    expect(s.bpf_dynptr_size('d')).toBe(8n);
    s.bpf_ringbuf_submit_dynptr('d', 0);
    expect(s.bpf_dynptr_is_null('d')).toBe(true);
    const [r] = s.ringbufConsume(map);
    expect(r?.length).toBe(32);
    expect([...r!.subarray(0, 12)]).toEqual([1, 2, 3, 4, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab]);
  });

  test('a clone names the same record: a release through either releases both', () => {
    const { s, map } = ring();
    expect(s.bpf_ringbuf_reserve_dynptr(map, 8, 0, 'd')).toBe(0);
    expect(s.bpf_dynptr_clone('d', 'c')).toBe(0);
    expect(s.bpf_dynptr_write('c', 0, bytes(8, 7), 8, 0)).toBe(0);
    s.bpf_ringbuf_submit_dynptr('c', 0);
    expect(refSnapshot(s.world).ringbufBusy).toBe(0);
    expect(() => s.bpf_dynptr_read(new Uint8Array(8), 8, 'd', 0, 0)).toThrow(UseAfterFreeError);
    expect(() => s.bpf_ringbuf_discard_dynptr('d', 0)).toThrow(UseAfterFreeError);
    expect(s.ringbufConsume(map).map((r) => [...r])).toEqual([[7, 7, 7, 7, 7, 7, 7, 7]]);
  });

  test('submit and discard of a null dynptr (a failed reservation) do nothing', () => {
    const { s, map } = ring();
    expect(s.bpf_ringbuf_reserve_dynptr(map, 8, 1, 'd')).toBe(-EINVAL);
    const before = s.ringbuf(map);
    expect(s.bpf_ringbuf_submit_dynptr('d', 0)).toBeUndefined();
    expect(s.bpf_ringbuf_discard_dynptr('d', BPF_RB_FORCE_WAKEUP)).toBeUndefined();
    expect(s.ringbuf(map)).toEqual(before);
    expect(s.events().filter((e) => e.kind === 'ringbuf')).toEqual([]);
  });

  test('submit or discard of another kind of dynptr is refused (the verifier: "Expected a dynptr of type ringbuf")', () => {
    const s = new Session();
    expect(s.bpf_dynptr_from_mem(new Uint8Array(4), 4, 0, 'd')).toBe(0);
    expect(() => s.bpf_ringbuf_submit_dynptr('d', 0)).toThrow(/type ringbuf/);
  });

  test('the bytes of a new record are not cleared: a reused area holds the old record', () => {
    const { s, map } = ring(4096);
    // Two records of 2048 bytes fill the ring once; the third lands where the first was.
    expect(rec(2040)).toBe(2048);
    expect(s.bpf_ringbuf_reserve_dynptr(map, 2040, 0, 'a')).toBe(0);
    expect(s.bpf_dynptr_memset('a', 0, 2040, 0x5a)).toBe(0);
    s.bpf_ringbuf_submit_dynptr('a', 0);
    expect(s.ringbufConsume(map)).toHaveLength(1);
    expect(s.bpf_ringbuf_reserve_dynptr(map, 2040, 0, 'b')).toBe(0);
    s.bpf_ringbuf_discard_dynptr('b', 0);
    expect(s.ringbufConsume(map)).toHaveLength(0);
    expect(s.ringbuf(map).consumerPos).toBe(4096);
    expect(s.bpf_ringbuf_reserve_dynptr(map, 16, 0, 'c')).toBe(0);
    const out = new Uint8Array(16);
    expect(s.bpf_dynptr_read(out, 16, 'c', 0, 0)).toBe(0);
    // Header of the old record at 0 (8 bytes) is the new header; the payload starts at 8, in the old payload.
    expect([...out]).toEqual(new Array(16).fill(0x5a));
  });
});

describe('worlds are values', () => {
  test('writes to a record, its commit and the reader leave every earlier world as it was', () => {
    const { s, map } = ring();
    expect(s.bpf_ringbuf_reserve_dynptr(map, 8, 0, 'd')).toBe(0);
    const w0 = s.world;
    const read = (w: typeof w0): number[] => {
      const t = new Session();
      t.world = w;
      const out = new Uint8Array(8);
      expect(t.bpf_dynptr_read(out, 8, 'd', 0, 0)).toBe(0);
      return [...out];
    };
    expect(s.bpf_dynptr_write('d', 0, bytes(8, 3), 8, 0)).toBe(0);
    const w1 = s.world;
    (s.bpf_dynptr_data('d', 0, 8) as Uint8Array).fill(4);
    s.bpf_ringbuf_submit_dynptr('d', 0);
    const w2 = s.world;
    expect(s.ringbufConsume(map).map((r) => [...r])).toEqual([new Array(8).fill(4)]);
    expect(read(w0)).toEqual(new Array(8).fill(0));
    expect(read(w1)).toEqual(new Array(8).fill(3));
    expect(w2.rings.get(map)?.consumerPos).toBe(0);
    expect(s.world.rings.get(map)?.consumerPos).toBe(16);
  });
});

describe('user space reads the ring as libbpf does', () => {
  test('committed records in order; a reserved one blocks the ones after it; discarded ones are skipped', () => {
    const { s, map } = ring();
    for (const [slot, n] of [['a', 3], ['b', 5], ['c', 7]] as const) {
      expect(s.bpf_ringbuf_reserve_dynptr(map, n, 0, slot)).toBe(0);
      expect(s.bpf_dynptr_memset(slot, 0, n, n)).toBe(0);
    }
    s.bpf_ringbuf_submit_dynptr('b', 0);
    s.bpf_ringbuf_discard_dynptr('c', 0);
    expect(s.ringbufConsume(map)).toEqual([]);
    expect(s.ringbuf(map).consumerPos).toBe(0);
    s.bpf_ringbuf_submit_dynptr('a', 0);
    expect(s.ringbufConsume(map).map((r) => [...r])).toEqual([[3, 3, 3], [5, 5, 5, 5, 5]]);
    // The consumer moved past all three, the discarded one included.
    expect(s.ringbuf(map).consumerPos).toBe(rec(3) + rec(5) + rec(7));
    expect(s.ringbuf(map).consumerPos).toBe(s.ringbuf(map).producerPos);
  });

  test('consume_n stops after n records; the next consume goes on from there', () => {
    const { s, map } = ring();
    for (let i = 0; i < 4; i += 1) {
      expect(s.bpf_ringbuf_reserve_dynptr(map, 1, 0, 'd')).toBe(0);
      expect(s.bpf_dynptr_write('d', 0, Uint8Array.of(i), 1, 0)).toBe(0);
      s.bpf_ringbuf_submit_dynptr('d', 0);
    }
    expect(s.ringbufConsume(map, 3).map((r) => r[0])).toEqual([0, 1, 2]);
    expect(s.ringbufConsume(map).map((r) => r[0])).toEqual([3]);
  });

  test('a task consumes with the ringbuf_consume syscall: it returns the count and copies the payloads into a global', () => {
    const s = new Session();
    s.load({
      name: 'o', maps: [{ name: 'rb', type: 'ringbuf', maxEntries: 4096, valueSize: 0, taskWorkFields: 0 }],
      globals: [{ name: 'out', kind: 'bytes', size: 6 }], programs: [], subprogs: [],
    });
    const map = [...s.world.maps.keys()][0]!;
    for (const [slot, v] of [['a', 1], ['b', 2]] as const) {
      expect(s.bpf_ringbuf_reserve_dynptr(map, 4, 0, slot)).toBe(0);
      expect(s.bpf_dynptr_memset(slot, 0, 4, v)).toBe(0);
      s.bpf_ringbuf_submit_dynptr(slot, 0);
    }
    const pid = s.spawn({ comm: 'reader', script: [{ sys: 'ringbuf_consume', map: 'rb', into: 'out' }, { sys: 'ringbuf_consume', map: 'rb' }, { sys: 'exit' }] });
    s.simulate();
    expect(s.world.tasks.get(pid)?.results.slice(0, 2)).toEqual([2n, 0n]);
    expect([...(s.global('out') as Uint8Array)]).toEqual([1, 1, 1, 1, 2, 2]);
    expect(s.trace()).toContain('ring_buffer__consume(rb) into out');
  });
});

describe('wake-ups (bpf_ringbuf_commit)', () => {
  const wakeups = (s: Session, map: number): number => s.ringbuf(map).wakeups;

  test('default: woken when the consumer is at this record, not for a record behind another', () => {
    const { s, map } = ring();
    expect(s.bpf_ringbuf_reserve_dynptr(map, 8, 0, 'a')).toBe(0);
    expect(s.bpf_ringbuf_reserve_dynptr(map, 8, 0, 'b')).toBe(0);
    s.bpf_ringbuf_submit_dynptr('b', 0); // consumer at 0, record at 16: no wake-up
    expect(wakeups(s, map)).toBe(0);
    s.bpf_ringbuf_submit_dynptr('a', 0); // consumer at 0 = this record
    expect(wakeups(s, map)).toBe(1);
  });

  test('BPF_RB_NO_WAKEUP suppresses it; BPF_RB_FORCE_WAKEUP forces it; other flag bits are ignored', () => {
    const { s, map } = ring();
    expect(s.bpf_ringbuf_reserve_dynptr(map, 8, 0, 'a')).toBe(0);
    s.bpf_ringbuf_submit_dynptr('a', BPF_RB_NO_WAKEUP);
    expect(wakeups(s, map)).toBe(0);
    expect(s.bpf_ringbuf_reserve_dynptr(map, 8, 0, 'b')).toBe(0); // consumer still at 0, record at 16
    s.bpf_ringbuf_discard_dynptr('b', BPF_RB_FORCE_WAKEUP);
    expect(wakeups(s, map)).toBe(1);
    s.ringbufConsume(map);
    expect(s.bpf_ringbuf_reserve_dynptr(map, 8, 0, 'c')).toBe(0); // consumer caught up
    s.bpf_ringbuf_submit_dynptr('c', 4n);
    expect(wakeups(s, map)).toBe(2);
    expect(s.events().filter((e) => e.kind === 'ringbuf' && e.op !== 'consume').map((e) => (e as { wakeup: boolean }).wakeup)).toEqual([false, true, true]);
  });
});

describe('BPF_F_RB_OVERWRITE (6.19)', () => {
  test('a full ring overwrites its oldest finished records, never one still reserved', () => {
    const { s, map } = ring(4096, { flags: BPF_F_RB_OVERWRITE });
    expect(s.bpf_ringbuf_reserve_dynptr(map, 1000, 0, 'a')).toBe(0); // [0, 1008)
    expect(s.bpf_ringbuf_reserve_dynptr(map, 2000, 0, 'b')).toBe(0); // [1008, 3016)
    s.bpf_ringbuf_submit_dynptr('b', 0);
    // 2008 more bytes would end at 5024: 5024 - 0 > 4095 while 'a' (at 0) is still reserved.
    expect(s.bpf_ringbuf_reserve_dynptr(map, 2000, 0, 'c')).toBe(-EINVAL);
    s.bpf_ringbuf_submit_dynptr('a', 0);
    expect(s.bpf_ringbuf_reserve_dynptr(map, 2000, 0, 'c')).toBe(0); // overwrites 'a'
    s.bpf_ringbuf_submit_dynptr('c', 0);
    expect(s.ringbuf(map).overwritePos).toBe(1008);
    // The reader starts at the oldest record not overwritten.
    expect(s.ringbufConsume(map).map((r) => r.length)).toEqual([2000, 2000]);
  });

  test('without it the same reservation fails until user space reads', () => {
    const { s, map } = ring(4096);
    expect(s.bpf_ringbuf_reserve_dynptr(map, 1000, 0, 'a')).toBe(0);
    expect(s.bpf_ringbuf_reserve_dynptr(map, 2000, 0, 'b')).toBe(0);
    s.bpf_ringbuf_submit_dynptr('a', 0);
    s.bpf_ringbuf_submit_dynptr('b', 0);
    expect(s.bpf_ringbuf_reserve_dynptr(map, 2000, 0, 'c')).toBe(-EINVAL);
    expect(s.ringbufConsume(map)).toHaveLength(2);
    expect(s.bpf_ringbuf_reserve_dynptr(map, 2000, 0, 'c')).toBe(0);
  });
});

describe('a ring is a value: worlds made from one world each see their own records (ring.ts, persistent maps)', () => {
  // 300 records of 4,000 bytes, each filled with its own byte; the even ones submitted (293 pages
  // written), the odd ones still reserved (150): trees of several levels. Three worlds are then made
  // from that one; every expected record is computed here from the fills and the positions.
  const N = 300;
  const SIZE = 4000;
  const fill = (i: number): number => (i * 7 + 1) & 0xff;
  const posOf = (i: number): number => i * rec(SIZE);
  const readAll = (s: Session, name: string): number[] => {
    const out = new Uint8Array(SIZE);
    expect(s.bpf_dynptr_read(out, SIZE, name, 0, 0)).toBe(0);
    return [...new Set(out)];
  };

  test('submits, discards, writes and reads in one world change no other', () => {
    const { s, map } = ring(1 << 21);
    for (let i = 0; i < N; i += 1) {
      expect(s.bpf_ringbuf_reserve_dynptr(map, SIZE, 0, `r${i}`)).toBe(0);
      expect(s.bpf_dynptr_memset(`r${i}`, 0, SIZE, fill(i))).toBe(0);
    }
    for (let i = 0; i < N; i += 2) s.bpf_ringbuf_submit_dynptr(`r${i}`, 0);
    const w0 = s.world;
    const info0 = s.ringbuf(map);
    expect(info0.busy).toBe(N / 2);
    const odd = Array.from({ length: N / 2 }, (_, j) => 2 * j + 1);
    // The records still reserved, by position (the map iterates in key order).
    expect([...(w0.rings.get(map)?.samples.keys() ?? [])]).toEqual(odd.map(posOf));

    // A: the odd records rewritten (0xee) and submitted: every record, in order.
    s.world = w0;
    for (const i of odd) {
      expect(s.bpf_dynptr_memset(`r${i}`, 0, SIZE, 0xee)).toBe(0);
      s.bpf_ringbuf_submit_dynptr(`r${i}`, 0);
    }
    const a = s.ringbufConsume(map);
    expect(a.map((r) => [r.length, ...new Set(r)])).toEqual(Array.from({ length: N }, (_, i) => [SIZE, i % 2 === 0 ? fill(i) : 0xee]));
    expect(s.ringbufConsume(map)).toEqual([]);

    // B: the odd records discarded: the even ones only.
    s.world = w0;
    for (const i of odd) s.bpf_ringbuf_discard_dynptr(`r${i}`, 0);
    expect(s.ringbufConsume(map).map((r) => [...new Set(r)])).toEqual(Array.from({ length: N / 2 }, (_, j) => [fill(2 * j)]));

    // C: read from w0 itself: the reader stops at the first record still reserved (r1).
    s.world = w0;
    expect(s.ringbufConsume(map).map((r) => [...new Set(r)])).toEqual([[fill(0)]]);

    // w0 as it was: its positions, its reserved records' bytes (A's rewrite is not in them), its data area.
    s.world = w0;
    expect(s.ringbuf(map)).toEqual(info0);
    for (const i of odd) expect(readAll(s, `r${i}`)).toEqual([fill(i)]);
    for (const i of odd) s.bpf_ringbuf_submit_dynptr(`r${i}`, 0);
    expect(s.ringbufConsume(map).map((r) => [...new Set(r)])).toEqual(Array.from({ length: N }, (_, i) => [fill(i)]));
  });
});
