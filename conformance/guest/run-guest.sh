#!/usr/bin/env bash
# run-guest.sh <dir-with-files> <command-to-run-in-guest>
#
# Boots the cached Debian sid 7.2 kernel (see fetch.sh) under qemu with software emulation and an
# initramfs holding static busybox, the files of <dir> and an /init that runs <command> with
# /bin/sh -c. The command's stdout+stderr are printed on the serial console between markers; this
# script prints just that output on its stdout and exits with the command's exit status.
#
# Inside the guest:
#   /t           the files of <dir> (in the initramfs; rootfs is tmpfs) -- cwd of the command
#   /mnt/ext4    an ext4 file system on a virtio disk (/dev/vda), made on the host with
#                mkfs.ext4 -d from the same <dir> (or from $GUEST_DISK_DIR): a real page cache,
#                so posix_fadvise(POSIX_FADV_DONTNEED) / drop_caches make its pages cold.
#   /proc /sys /dev (devtmpfs) /sys/fs/bpf (bpffs) /sys/kernel/debug (debugfs) /tmp (tmpfs)
#   env: GUEST_EXT4=/mnt/ext4, GUEST_FILES=/t
#
# Environment knobs:
#   GUEST_TIMEOUT  seconds before qemu is killed (default 300)          -> exit 124
#   GUEST_ACCEL    tcg (default) | kvm  (kvm only when asked; a stock kernel is known to die there)
#   GUEST_MEM      guest memory (default 1G);  GUEST_SMP cpus (default 1)
#   GUEST_APPEND   extra kernel command line;  GUEST_QEMU_ARGS extra qemu arguments (word-split)
#   GUEST_DISK_DIR directory to put on the ext4 disk instead of <dir>; GUEST_DISK_MB size (auto)
#   GUEST_LOG      where the full console log goes (default $CACHE/last-console.log)
#   GUEST_DMESG=1  print the guest's dmesg to stderr after the run
#   GUEST_QUIET=1  don't print timing lines on stderr
#   GUEST_OUT_DIR  host directory: whatever the command left in /mnt/ext4/out/ is copied there
#                  after the guest powers off (read from the disk image with debugfs rdump)
#
# Exit status: the command's status; 124 timeout; 125 the guest never reached the end marker
# (kernel panic, boot failure: see GUEST_LOG); 10-15 fetch.sh skip codes (not ready); 2 usage.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${GUEST_CACHE:-$HERE/../.cache/guest}"

if [ $# -lt 2 ] || [ ! -d "$1" ]; then
  echo "usage: $0 <dir-with-files> <command-to-run-in-guest>" >&2
  exit 2
fi
SRC="$(cd "$1" && pwd)"; shift
CMD="$*"

note() { [ -n "${GUEST_QUIET:-}" ] || echo "run-guest: $*" >&2; }
t0=$(date +%s.%N)

# make sure everything is there (idempotent, fast when cached)
eval "$(bash "$HERE/fetch.sh" | grep -E '^[A-Z_]+=')"; frc=${PIPESTATUS[0]}
[ "$frc" = 0 ] || exit "$frc"
[ -n "${VMLINUZ:-}" ] || { echo "run-guest: fetch.sh gave no VMLINUZ" >&2; exit 15; }
CACHE="$(cd "$CACHE" && pwd)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/run-guest.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
ROOT="$WORK/root"
mkdir -p "$ROOT"/{bin,sbin,dev,proc,sys,tmp,t,mnt/ext4,lib/modules,etc}

# --- initramfs ---
cp /bin/busybox "$ROOT/bin/busybox"
for m in drivers/block/virtio_blk drivers/block/loop; do
  f="$MODULES/kernel/$m.ko.xz"
  if [ -f "$f" ]; then xz -dc "$f" > "$ROOT/lib/modules/$(basename "$m").ko"
  elif [ -f "$MODULES/kernel/$m.ko" ]; then cp "$MODULES/kernel/$m.ko" "$ROOT/lib/modules/"; fi
done
cp -a "$SRC/." "$ROOT/t/"
printf '%s\n' "$CMD" > "$ROOT/cmd"
cat > "$ROOT/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t bpf bpf /sys/fs/bpf
mount -t debugfs debugfs /sys/kernel/debug
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
echo "1 4 1 7" > /proc/sys/kernel/printk
for m in /lib/modules/*.ko; do [ -f "$m" ] && insmod "$m" 2>/dev/null; done
i=0; while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
if [ -b /dev/vda ]; then
  mount -t ext4 /dev/vda /mnt/ext4 || echo "init: mount /dev/vda failed" >&2
else
  echo "init: no /dev/vda" >&2
fi
export GUEST_EXT4=/mnt/ext4 GUEST_FILES=/t HOME=/tmp
cd /t
echo
echo "@@GUEST-UPTIME-START $(cut -d' ' -f1 /proc/uptime)"
echo "@@GUEST-OUTPUT-BEGIN@@"
/bin/sh /cmd 2>&1
rc=$?
echo "@@GUEST-OUTPUT-END rc=$rc@@"
echo "@@GUEST-UPTIME-END $(cut -d' ' -f1 /proc/uptime)"
if [ -e /t/.dmesg ] || grep -q guest_dmesg=1 /proc/cmdline; then
  echo "@@GUEST-DMESG-BEGIN@@"; dmesg; echo "@@GUEST-DMESG-END@@"
fi
sync
umount /mnt/ext4 2>/dev/null
poweroff -f
echo o > /proc/sysrq-trigger
sleep 5
INIT
chmod +x "$ROOT/init"
( cd "$ROOT" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet ) | gzip -1 > "$WORK/initrd.gz" \
  || { echo "run-guest: building the initramfs failed" >&2; exit 15; }

# --- ext4 disk with the files (real page cache) ---
DISKDIR="${GUEST_DISK_DIR:-$SRC}"
kb=$(du -sk "$DISKDIR" | cut -f1)
mb=${GUEST_DISK_MB:-$(( kb / 1024 * 2 + 64 ))}
mkfs.ext4 -q -F -E root_owner=0:0 -L guest -d "$DISKDIR" "$WORK/disk.img" "${mb}M" >/dev/null \
  || { echo "run-guest: mkfs.ext4 -d $DISKDIR failed" >&2; exit 15; }

# --- boot ---
ACCEL="${GUEST_ACCEL:-tcg}"
if [ "$ACCEL" = kvm ]; then accel=(-accel kvm -cpu "${GUEST_KVM_CPU:-host}"); else accel=(-accel tcg -cpu max); fi
APPEND="console=ttyS0 lsm=lockdown,capability,landlock,yama,bpf panic=-1 quiet loglevel=1 rdinit=/init ${GUEST_APPEND:-}"
[ -n "${GUEST_DMESG:-}" ] && APPEND="$APPEND guest_dmesg=1"
LOG="${GUEST_LOG:-$CACHE/last-console.log}"
t1=$(date +%s.%N)
timeout --foreground -k 5 "${GUEST_TIMEOUT:-300}" qemu-system-x86_64 \
  "${accel[@]}" -m "${GUEST_MEM:-1G}" -smp "${GUEST_SMP:-1}" -nographic -no-reboot \
  -kernel "$VMLINUZ" -initrd "$WORK/initrd.gz" -append "$APPEND" \
  -drive "file=$WORK/disk.img,format=raw,if=virtio,cache=unsafe" \
  -nic none ${GUEST_QEMU_ARGS:-} < /dev/null > "$LOG" 2>&1
qrc=$?
t2=$(date +%s.%N)
tr -d '\r' < "$LOG" > "$LOG.tmp" && mv "$LOG.tmp" "$LOG"

if [ $qrc = 124 ] || [ $qrc = 137 ]; then
  echo "run-guest: TIMEOUT after ${GUEST_TIMEOUT:-300}s (console log: $LOG); last lines:" >&2
  tail -20 "$LOG" >&2
  exit 124
fi
if ! grep -q '^@@GUEST-OUTPUT-END rc=' "$LOG"; then
  echo "run-guest: guest did not finish the command (qemu rc=$qrc, console log: $LOG); last lines:" >&2
  tail -30 "$LOG" >&2
  exit 125
fi
sed -n '/^@@GUEST-OUTPUT-BEGIN@@$/,/^@@GUEST-OUTPUT-END rc=/p' "$LOG" | sed '1d;$d'
if [ -n "${GUEST_DMESG:-}" ]; then
  sed -n '/^@@GUEST-DMESG-BEGIN@@$/,/^@@GUEST-DMESG-END@@$/p' "$LOG" | sed '1d;$d' >&2
fi
if [ -n "${GUEST_OUT_DIR:-}" ]; then
  mkdir -p "$GUEST_OUT_DIR"
  debugfs -R "rdump /out $GUEST_OUT_DIR" "$WORK/disk.img" >/dev/null 2>"$WORK/debugfs.err" \
    || echo "run-guest: copying /mnt/ext4/out back failed: $(head -3 "$WORK/debugfs.err")" >&2
fi
rc=$(sed -n 's/^@@GUEST-OUTPUT-END rc=\([0-9]*\)@@$/\1/p' "$LOG" | head -1)
ustart=$(sed -n 's/.*@@GUEST-UPTIME-START //p' "$LOG" | head -1)
uend=$(sed -n 's/.*@@GUEST-UPTIME-END //p' "$LOG" | head -1)
note "$(awk -v a="$t0" -v b="$t1" -v c="$t2" -v us="$ustart" -v ue="$uend" \
  'BEGIN{printf "prep %.1fs, qemu %.1fs (guest boot to command %.1fs, command %.1fs), accel='"$ACCEL"'", b-a, c-b, us, ue-us}')"
exit "${rc:-125}"
