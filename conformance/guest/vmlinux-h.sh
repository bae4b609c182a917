#!/usr/bin/env bash
# vmlinux-h.sh: produce conformance/.cache/guest/vmlinux (ELF, uncompressed) and
# conformance/.cache/guest/vmlinux.h (bpftool btf dump ... format c) for the fetched guest kernel.
# Approach of the kernel's scripts/extract-vmlinux: find the compressed payload's magic inside the
# bzImage, try to decompress from each hit, keep the first result that is an ELF file.
# Exit: 0 ok; 16 tool missing; 17 extraction failed; 18 bpftool failed; else fetch.sh's codes.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${GUEST_CACHE:-$HERE/../.cache/guest}"
eval "$(bash "$HERE/fetch.sh" | grep -E '^[A-Z_]+=')"; frc=${PIPESTATUS[0]}
[ "$frc" = 0 ] || exit "$frc"
CACHE="$(cd "$CACHE" && pwd)"
OUT_ELF="$CACHE/vmlinux"; OUT_H="$CACHE/vmlinux.h"
if [ -s "$OUT_H" ] && [ "$OUT_H" -nt "$VMLINUZ" ]; then echo "VMLINUX=$OUT_ELF"; echo "VMLINUX_H=$OUT_H"; exit 0; fi

for t in zstd xz gzip; do command -v $t >/dev/null || apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$( [ $t = zstd ] && echo zstd || echo $t )" >/dev/null 2>&1; done
command -v bpftool >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq bpftool >/dev/null 2>&1
command -v bpftool >/dev/null || { echo "vmlinux-h.sh: SKIP(16): bpftool not installable" >&2; exit 16; }

is_elf() { [ "$(head -c4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; }
try() { # $1 magic (printf escapes)  $2... decompressor
  local magic="$1"; shift
  for pos in $(LC_ALL=C grep -aboP "$magic" "$VMLINUZ" 2>/dev/null | cut -d: -f1); do
    tail -c+$((pos + 1)) "$VMLINUZ" | "$@" > "$OUT_ELF.tmp" 2>/dev/null
    if is_elf "$OUT_ELF.tmp"; then mv "$OUT_ELF.tmp" "$OUT_ELF"; return 0; fi
  done
  return 1
}
try '\x28\xb5\x2f\xfd' zstd -dc ||
try '\xfd\x37\x7a\x58\x5a\x00' xz -dc ||
try '\x1f\x8b\x08' gzip -dc ||
{ rm -f "$OUT_ELF.tmp"; echo "vmlinux-h.sh: FAIL(17): no zstd/xz/gzip payload in $VMLINUZ decompressed to an ELF" >&2; exit 17; }

bpftool btf dump file "$OUT_ELF" format c > "$OUT_H.tmp" 2>"$CACHE/bpftool.err" \
  || { echo "vmlinux-h.sh: FAIL(18): bpftool btf dump file $OUT_ELF format c: $(head -5 "$CACHE/bpftool.err")" >&2; exit 18; }
mv "$OUT_H.tmp" "$OUT_H"
echo "VMLINUX=$OUT_ELF"
echo "VMLINUX_H=$OUT_H"
