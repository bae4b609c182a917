#!/usr/bin/env bash
# Fetch everything the guest tier needs, idempotently, into conformance/.cache/guest/.
#   - host packages: qemu-system-x86, busybox-static, cpio (apt-get install, system sources)
#   - the Debian sid cloud kernel, fetched with a PRIVATE apt configuration
#     (own sources.list, own lists/state/cache dirs) so the system's sources are untouched,
#     then unpacked with dpkg -x.
# Prints KEY=VALUE lines for the caller on success (stdout); diagnostics go to stderr.
#
# Exit codes (distinct, so a caller can skip with a precise reason):
#   0  ready
#   10 not root / apt-get missing (cannot install host packages)
#   11 host package install failed (registry unreachable or package unavailable)
#   12 private apt update of sid failed (registry unreachable / signature problem)
#   13 kernel package not found in sid index
#   14 kernel package download failed
#   15 kernel package unpack failed / no vmlinuz inside
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${GUEST_CACHE:-$HERE/../.cache/guest}"
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"
KERNEL_PKG="${KERNEL_PKG:-linux-image-7.2.13+deb14-cloud-amd64}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE="${KERNEL_SUITE:-sid}"

log() { echo "fetch.sh: $*" >&2; }
die() { local code=$1; shift; echo "fetch.sh: SKIP($code): $*" >&2; exit "$code"; }

# ---------- 1. host packages ----------
need=()
command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
[ -x /bin/busybox ] && file_is_static=1 || file_is_static=0
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
command -v cpio >/dev/null 2>&1 || need+=(cpio)
command -v mkfs.ext4 >/dev/null 2>&1 || need+=(e2fsprogs)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die 10 "need root to apt-get install ${need[*]}"
  command -v apt-get >/dev/null 2>&1 || die 10 "apt-get not found; cannot install ${need[*]}"
  log "installing host packages: ${need[*]}"
  out="$(DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${need[@]}" 2>&1)" || {
    log "install failed, running apt-get update and retrying"
    upd="$(apt-get -o DPkg::Lock::Timeout=600 update 2>&1)" || die 11 "apt-get update failed: $(echo "$upd" | tail -5)"
    out="$(DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${need[@]}" 2>&1)" \
      || die 11 "apt-get install ${need[*]} failed: $(echo "$out" | tail -8)"
  }
fi
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || die 11 "busybox-static installed but /bin/busybox missing"

# ---------- 2. kernel from sid via a private apt configuration ----------
KDIR="$CACHE/kernel"
if [ -f "$KDIR/.done" ] && [ -f "$KDIR/vmlinuz" ]; then
  log "kernel cached: $(cat "$KDIR/.done")"
else
  APT="$CACHE/apt"
  mkdir -p "$APT/etc/sources.list.d" "$APT/etc/preferences.d" "$APT/lists/partial" \
           "$APT/cache/archives/partial" "$APT/debs"
  : > "$APT/status"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main" > "$APT/etc/sources.list"
  APTOPTS=(
    -o "Dir::Etc::SourceList=$APT/etc/sources.list"
    -o "Dir::Etc::SourceParts=$APT/etc/sources.list.d"
    -o "Dir::Etc::Preferences=$APT/etc/preferences"
    -o "Dir::Etc::PreferencesParts=$APT/etc/preferences.d"
    -o "Dir::State::Lists=$APT/lists"
    -o "Dir::State::status=$APT/status"
    -o "Dir::Cache=$APT/cache"
    -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
    -o "APT::Architecture=amd64" -o "APT::Architectures=amd64"
    -o "Acquire::Languages=none"
    -o "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false"
    -o "Acquire::Retries=3"
    -o "Debug::NoLocking=1"
  )
  # refresh the private index at most once a day
  if [ -z "$(find "$APT/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
    log "apt-get update (private config, $SUITE)"
    out="$(apt-get "${APTOPTS[@]}" update 2>&1)"; rc=$?; echo "$out" > "$APT/update.log"
    if [ $rc -ne 0 ] || ! ls "$APT/lists/"*Packages* >/dev/null 2>&1; then
      die 12 "private 'apt-get update' for $MIRROR $SUITE failed (rc=$rc): $(echo "$out" | grep -E '^(E|W|Err):|NO_PUBKEY|Could not' | head -8)"
    fi
  fi
  if ! apt-cache "${APTOPTS[@]}" show "$KERNEL_PKG" >/dev/null 2>&1; then
    avail="$(apt-cache "${APTOPTS[@]}" pkgnames linux-image- 2>/dev/null | grep -E '^linux-image-[0-9].*-cloud-amd64$' | sort -V | tr '\n' ' ')"
    if [ -n "${KERNEL_PKG_FALLBACK:-}" ] && [ -n "$avail" ]; then
      KERNEL_PKG="$(echo $avail | tr ' ' '\n' | grep -v unsigned | grep -v dbg | tail -1)"
      log "requested package absent; falling back to $KERNEL_PKG"
    else
      die 13 "package $KERNEL_PKG not in $SUITE index; cloud images available: ${avail:-none} (set KERNEL_PKG=... or KERNEL_PKG_FALLBACK=1)"
    fi
  fi
  # Newer Debian kernels split the image: linux-image-X is a small metapackage that depends on
  # linux-binary-X (vmlinuz), linux-modules-X and linux-base-X (config, System.map). Fetch them all.
  pkgs=("$KERNEL_PKG")
  deps="$(apt-cache "${APTOPTS[@]}" show "$KERNEL_PKG" 2>/dev/null | sed -n 's/^Depends: //p' | head -1 | tr ',|' '\n\n' | awk '{print $1}')"
  for d in $deps; do case "$d" in linux-binary-*|linux-modules-*|linux-base-*) pkgs+=("$d");; esac; done
  log "apt-get download ${pkgs[*]}"
  ( cd "$APT/debs" && rm -f ./*.deb && apt-get "${APTOPTS[@]}" download "${pkgs[@]}" ) >"$APT/download.log" 2>&1 \
    || die 14 "apt-get download ${pkgs[*]} failed: $(tail -5 "$APT/download.log")"
  ls "$APT/debs/"*.deb >/dev/null 2>&1 || die 14 "no .deb after apt-get download ${pkgs[*]}"
  rm -rf "$KDIR.tmp" && mkdir -p "$KDIR.tmp/root"
  for deb in "$APT/debs/"*.deb; do
    dpkg -x "$deb" "$KDIR.tmp/root" || die 15 "dpkg -x $deb failed"
  done
  deb="$(ls "$APT/debs/${KERNEL_PKG}_"*.deb | head -1)"
  # classic layout: boot/vmlinuz-VER; split (merged-/usr) layout: usr/lib/modules/VER/vmlinuz
  vmlinuz="$(ls "$KDIR.tmp/root/boot/"vmlinuz-* "$KDIR.tmp/root/usr/lib/modules/"*/vmlinuz "$KDIR.tmp/root/lib/modules/"*/vmlinuz 2>/dev/null | head -1)"
  [ -n "$vmlinuz" ] || die 15 "no boot/vmlinuz-* inside ${pkgs[*]}: $(cd "$KDIR.tmp/root" && find . -maxdepth 3 | head -20 | tr '\n' ' ')"
  cp "$vmlinuz" "$KDIR.tmp/vmlinuz"
  case "$vmlinuz" in
    */boot/vmlinuz-*) kver="${vmlinuz##*/vmlinuz-}"; moddir="$(ls -d "$KDIR.tmp/root/"{usr/,}lib/modules/"$kver" 2>/dev/null | head -1)"
                      cp "$KDIR.tmp/root/boot/config-$kver" "$KDIR.tmp/config" 2>/dev/null || true ;;
    *) moddir="$(dirname "$vmlinuz")"; kver="$(basename "$moddir")"; cp "$moddir/config" "$KDIR.tmp/config" 2>/dev/null || true ;;
  esac
  ln -sfn "${moddir#$KDIR.tmp/}" "$KDIR.tmp/modules"
  echo "$kver" > "$KDIR.tmp/release"
  rm -rf "$KDIR" && mv "$KDIR.tmp" "$KDIR"
  echo "$KERNEL_PKG $(dpkg-deb -f "$deb" Version) $kver" > "$KDIR/.done"
  rm -f "$APT/debs/"*.deb
  log "kernel unpacked: $(cat "$KDIR/.done")"
fi

echo "VMLINUZ=$KDIR/vmlinuz"
echo "KERNEL_RELEASE=$(cat "$KDIR/release")"
echo "MODULES=$KDIR/modules"
echo "BUSYBOX=$BUSYBOX"
exit 0
