/**
 * Hand-written cases: every errno path of the LOCAL dynptr kfuncs and helpers, and the edges of
 * SEMANTICS.md "Observed" (generic rules). On 6.18 the size, offset and length arguments are u32, so
 * a u64 argument is taken modulo 2^32 (`0x100000000` is 0).
 */
import { CaseBuilder, U32_MAX, U64_MAX, type ConfCase } from './lib.ts';

const B = (id: string, mem = 16): CaseBuilder => new CaseBuilder(`h_${id}`, mem);

export const localCases: readonly ConfCase[] = [
  B('from_mem').fromMem(16).size().isNull().isRdonly()
    .build('bpf_dynptr_from_mem', 'a fresh LOCAL dynptr: 0, size 16, not null, writable'),
  B('from_mem_zero').fromMem(0).size().isNull().read(0, 0).read(1, 0).write(0, 0).adjust(0, 0)
    .build('bpf_dynptr_from_mem', 'size 0: a valid, empty dynptr'),
  B('from_mem_flags').fromMem(16, 1).isNull().size().read(1, 0).write(0, 1).adjust(0, 0).clone().isNull('e').size('e')
    .slice(0, 1, false).data(0, 1).isRdonly()
    .build('bpf_dynptr_from_mem', 'flags ≠ 0 → -EINVAL and a null dynptr; every op on it → -EINVAL / NULL'),
  B('from_mem_flags_high').fromMem(16, 1n << 63n).isNull().fromMem(16, 0).isNull()
    .build('bpf_dynptr_from_mem', 'flags bit 63 → -EINVAL; a second from_mem over the slot makes it valid again'),
  B('read_bounds').fromMem(16).read(16, 0).read(0, 16).read(0, 17).read(17, 0).read(1, 0xffffffff).read(2, U64_MAX).read(1, 0, 1)
    .build('bpf_dynptr_read', 'bounds.json: len 0 at the end ok, one past -E2BIG, no wrap, flags -EINVAL'),
  B('read_edges').fromMem(16).read(1, 15).read(2, 15).read(16, 1).read(0, 0).read(8, 8).read(9, 8)
    .build('bpf_dynptr_read', 'len and offset at the size'),
  B('read_u64_offsets').fromMem(16).read(1, 0x1_0000_0000n).read(1, 0x1_0000_000fn).read(1, 0x1_0000_0010n).read(4, 0xffff_ffff_0000_0000n)
    .read(1, 0x8000_0000_0000_0000n).read(1, U32_MAX + 1n + 16n)
    .build('bpf_dynptr_read', '6.18: offset is u32, the upper half is dropped (0x100000000 → 0)'),
  B('read_flags').fromMem(16).read(1, 0, 2).read(0, 0, 1).read(17, 0, 1).read(1, 0, U64_MAX)
    .build('bpf_dynptr_read', 'flags ≠ 0 → -EINVAL before the bounds'),
  B('write').fromMem(16).write(0, 16).write(0, 17).write(16, 0).write(17, 0).write(15, 2).write(1, 8)
    .read(16, 0)
    .build('bpf_dynptr_write', 'bounds as read; the bytes land in the memory'),
  B('write_flags').fromMem(16).write(0, 1, 1).write(17, 1, 1).write(0, 17, 1).write(0, 0, 1)
    .build('bpf_dynptr_write', 'LOCAL: flags checked after the bounds (-E2BIG wins)'),
  B('write_u64').fromMem(16).write(0x1_0000_0000n, 8).write(U64_MAX, 1).write(0xffff_fff0n, 1)
    .build('bpf_dynptr_write', '6.18: offset is u32'),
  B('adjust').fromMem(16).adjust(2, 10).size().adjust(0, 8).size().adjust(8, 8).size().adjust(0, 0).size()
    .build('bpf_dynptr_adjust', 'narrowing composes; (size,size) → 0 and size 0'),
  B('adjust_errors').fromMem(16).adjust(3, 2).adjust(20, 10).adjust(0, 17).adjust(17, 17).adjust(5, 17).adjust(16, 16).size()
    .build('bpf_dynptr_adjust', 'start>end → -EINVAL even when end>size; end>size → -ERANGE'),
  B('adjust_u64').fromMem(16).adjust(0x1_0000_0001n, 0x1_0000_0003n).size().adjust(0, 0x1_0000_0000n).size()
    .build('bpf_dynptr_adjust', '6.18: start and end are u32'),
  B('adjust_u64_big').fromMem(16).adjust(0, U64_MAX).adjust(U64_MAX, U64_MAX).adjust(U64_MAX, 0).adjust(0xffff_ffffn, 0x1_0000_0000n).size()
    .build('bpf_dynptr_adjust', '6.18: U64_MAX is 0xffffffff; (0xffffffff, 0x100000000) is (0xffffffff, 0): start>end'),
  B('adjust_then_read').fromMem(16).write(0, 16).adjust(4, 12).read(8, 0).read(9, 0).read(1, 8).read(0, 8).write(7, 1).write(8, 1)
    .build('bpf_dynptr_read', 'reads and writes after an adjust are relative to the new view'),
  B('size_null').fromMem(16, 5).size().adjust(1, 2).size()
    .build('bpf_dynptr_size', 'null → -EINVAL as a u32 (4294967274 on 6.18)'),
  B('clone').fromMem(16).adjust(2, 10).clone().size('e').adjust(1, 2, 'e').size('e').size('d').isNull('e')
    .build('bpf_dynptr_clone', 'a LOCAL clone is a copy: adjusting it leaves the original'),
  B('clone_null').fromMem(16, 1).clone().isNull('e').size('e').read(1, 0, 0, 'e')
    .build('bpf_dynptr_clone', 'clone of null → -EINVAL and the clone null'),
  B('clone_overwrite').fromMem(16).fromMem(4, 0, 'e').clone('e', 'd').size('d')
    .build('bpf_dynptr_clone', 'clone into an initialized LOCAL slot replaces it'),
  B('slice').fromMem(16).slice(0, 16, true).slice(0, 17, true).slice(16, 0, true).slice(17, 0, true).slice(8, 8, false).slice(9, 8, false)
    .slice(U64_MAX, 1, true).slice(0x1_0000_0000n, 1, false)
    .build('bpf_dynptr_slice', 'NULL out of bounds; a pointer inside'),
  B('data').fromMem(16).data(0, 16).data(0, 17).data(16, 0).data(17, 0).data(15, 1).data(U64_MAX, 1).data(0x1_0000_0000n, 4)
    .build('bpf_dynptr_data', 'NULL out of bounds; 6.18: u32 offset'),
  B('big_mem', 255).fromMem(255).read(64, 191).read(64, 192).write(254, 1).adjust(200, 255).size().read(55, 0).read(56, 0)
    .build('bpf_dynptr_read', 'a 255-byte dynptr: reads at the end'),
];
