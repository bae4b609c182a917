#!/usr/bin/env bash
# selftest.sh: proves the guest tier works end to end. Compiles selftest/guest-selftest.c with
# gcc -static, boots the guest with it and a 1 MiB data file (on /t and on the ext4 disk), and
# checks uname, bpf map/prog syscalls, /sys/kernel/btf/vmlinux, LSM list and page-cache eviction.
# Exits with the guest binary's status (0 = all passed), or run-guest.sh's/fetch.sh's codes.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
D="$(mktemp -d "${TMPDIR:-/tmp}/guest-selftest.XXXXXX")"; trap 'rm -rf "$D"' EXIT
gcc -static -O2 -Wall -o "$D/guest-selftest" "$HERE/selftest/guest-selftest.c" || exit 3
head -c 1048576 /dev/urandom > "$D/data.bin"
rel="$(cat "$HERE/../.cache/guest/kernel/release" 2>/dev/null || echo 7.2)"
bash "$HERE/run-guest.sh" "$D" "./guest-selftest '${rel%%+*}' /mnt/ext4/data.bin"
