#!/usr/bin/env bash
# Host tier of `npm run conformance`: install what it needs (only if missing), build vmlinux.h and the
# loader into conformance/.cache/ (outside git). Idempotent. On success prints "ok"; when the machine
# cannot run the tier, prints "skip: <why>" and exits 0 (the suite then skips and exits 0 too).
set -u
here="$(cd "$(dirname "$0")" && pwd)"
cache="$here/.cache"
mkdir -p "$cache"
skip() { echo "skip: $*"; exit 0; }

[ "$(uname -s)" = Linux ] || skip "not Linux ($(uname -s))"
# CAP_BPF is bit 39 of CapEff.
capeff=$(awk '/^CapEff/ {print $2}' /proc/self/status)
if [ -z "$capeff" ] || [ $(( (0x$capeff >> 39) & 1 )) -ne 1 ]; then
  [ $(( (0x${capeff:-0} >> 21) & 1 )) -eq 1 ] || skip "no CAP_BPF (CapEff=$capeff)"
fi
[ -r /sys/kernel/btf/vmlinux ] || skip "no kernel BTF at /sys/kernel/btf/vmlinux"

need=()
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v bpftool >/dev/null 2>&1 || need+=(bpftool)
command -v cc >/dev/null 2>&1 || need+=(gcc)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
[ -e /usr/include/bpf/libbpf.h ] || need+=(libbpf-dev)
[ -e /usr/include/libelf.h ] || need+=(libelf-dev)
[ -e /usr/include/zlib.h ] || need+=(zlib1g-dev)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || skip "missing ${need[*]} and not root to install them"
  command -v apt-get >/dev/null 2>&1 || skip "missing ${need[*]} and no apt-get"
  stamp="$cache/apt-updated"
  if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440 2>/dev/null)" ]; then
    if ! DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$cache/apt-update.log" 2>&1; then
      skip "apt-get update failed: $(tail -n 3 "$cache/apt-update.log" | tr '\n' ' ')"
    fi
    touch "$stamp"
  fi
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >"$cache/apt-install.log" 2>&1; then
    skip "apt-get install ${need[*]} failed: $(tail -n 3 "$cache/apt-install.log" | tr '\n' ' ')"
  fi
fi

# kptr fields need BTF type tags, which bookworm's clang 14 does not write (conformance/clang.ts): a
# clang 15 or later, installed when we can; without one run.ts leaves the kptr cases out and says so.
have_tags=0
for v in 19 18 17 16 15; do command -v "clang-$v" >/dev/null 2>&1 && have_tags=1; done
if [ "$have_tags" = 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang-19 >"$cache/apt-install-clang19.log" 2>&1 \
    || { DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$cache/apt-install-clang19.log" 2>&1 \
         && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang-19 >>"$cache/apt-install-clang19.log" 2>&1; } || true
fi

# tp/ programs attach through tracefs (libbpf reads the tracepoint's id under events/): a new machine
# may not have it mounted. Mount it when we can; without it run.ts leaves the tp/ cases out and says so.
if [ ! -d /sys/kernel/tracing/events ] && [ ! -d /sys/kernel/debug/tracing/events ] && [ "$(id -u)" = 0 ]; then
  mount -t tracefs nodev /sys/kernel/tracing >/dev/null 2>&1 || true
fi

# vmlinux.h from the running kernel's BTF, keyed by kernel release.
rel=$(uname -r)
if [ ! -s "$cache/vmlinux-$rel.h" ]; then
  bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$cache/vmlinux-$rel.h.tmp" 2>"$cache/bpftool.log" \
    || skip "bpftool btf dump failed: $(tail -n 3 "$cache/bpftool.log" | tr '\n' ' ')"
  mv "$cache/vmlinux-$rel.h.tmp" "$cache/vmlinux-$rel.h"
fi
mkdir -p "$cache/include"
ln -sf "$cache/vmlinux-$rel.h" "$cache/include/vmlinux.h"

# The loader, rebuilt when its source (or the header it shares with the guest driver) changes.
src="$here/loader/loader.c"
bin="$cache/loader"
if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ] || [ "$here/common/bpf_report.h" -nt "$bin" ]; then
  cc -O2 -g -Wall -o "$bin.tmp" "$src" $(pkg-config --cflags --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz) >"$cache/loader-build.log" 2>&1 \
    || { cat "$cache/loader-build.log" >&2; echo "error: loader build failed" >&2; exit 1; }
  mv "$bin.tmp" "$bin"
fi
echo ok
