#!/usr/bin/env bash
# The card image bench/arm64.ts boots: the Debian 13 arm64 base of scripts/test-image-boot
# (same recipe, same cache key, so a base already built there is copied instead of made again),
# the benchmark's guest driver and bare client written into the base's root, then our bundle and
# overlay by scripts/build-image, used only through its --base/--bundle/--out interface.
#   bench/arm64-image.sh --work DIR --guest DIR [--bundle <tar.gz>]
# --guest DIR holds the files for the guest (written to /usr/local/lib/roombox-bench, and
# roombox-bench.service to /etc/systemd/system). Without --bundle, scripts/build-bundle runs.
# Prints, on stdout, shell assignments: vmlinuz=, initrd=, image=, root= (the device of the
# image's first Linux partition inside the VM). Timings go to stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work= guest= bundle= suite=trixie
shared_cache=${ROOMBOX_IMAGE_BOOT_WORK:-/var/tmp/roombox-image-boot}
while [ $# -gt 0 ]; do
  case $1 in
    --work) work=$(realpath -m "$2"); shift 2 ;;
    --guest) guest=$(realpath "$2"); shift 2 ;;
    --bundle) bundle=$(realpath "$2"); shift 2 ;;
    *) echo "usage: bench/arm64-image.sh --work DIR --guest DIR [--bundle <tar.gz>]" >&2; exit 2 ;;
  esac
done
[ -n "$work" ] && [ -d "$guest" ] || { echo "usage: bench/arm64-image.sh --work DIR --guest DIR [--bundle <tar.gz>]" >&2; exit 2; }
for tool in qemu-system-aarch64 debootstrap sfdisk mke2fs mkfs.vfat debugfs mcopy jq cpio depmod modprobe; do
  command -v $tool >/dev/null || { echo "arm64-image: $tool missing (scripts/install-system-deps)" >&2; exit 1; }
done
mkdir -p "$work"
# Private apt lists (per suite, under TMPDIR) and bundle stage: other builds on this machine
# may be using the defaults.
export TMPDIR=$work/tmp BUNDLE_STAGE=$work/bundle-stage
mkdir -p "$TMPDIR"
log() { echo "arm64-image: $*" >&2; }
# start, size and device node of an image's first Linux partition
part() { sfdisk -J "$1" | jq -r '[.partitiontable.partitions[] | select(.type == "83" or .type == "0FC63DAF-8483-4772-8E79-3D69D8477DE4")][0] | "\(.start) \(.size) \(.node)"'; }

t=$SECONDS
initrd_root=$work/initrd-root
rm -rf "$initrd_root"
vmlinuz=$("$here/scripts/arm64-kernel" "$work/kernel" "$suite" --modules "$initrd_root/modules" \
  virtio_blk ext4 virtio_net virtio_rng vfat nls_cp437 nls_ascii nls_utf8)
"$here/scripts/arm64-sysroot" "$initrd_root" "$suite" busybox-static >/dev/null
install -m 755 "$here/test/ship/qemu-initrd-init.sh" "$initrd_root/init"
mkdir -p "$initrd_root"/{proc,sys,dev,newroot}
(cd "$initrd_root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$work/initrd.cpio"
log "kernel and initrd: $((SECONDS - t)) s"

t=$SECONDS
key=$(cat "$here/test/ship/make-debian-image.sh" "$here/test/ship/qemu-initrd-init.sh" | sha256sum | cut -c1-12)
base=$work/debian-$suite-arm64-$key.img
if [ ! -f "$base" ] && [ -f "$shared_cache/debian-$suite-arm64-$key.img" ]; then
  cp --sparse=always "$shared_cache/debian-$suite-arm64-$key.img" "$base.tmp" && mv "$base.tmp" "$base"
  log "base image copied from $shared_cache: $((SECONDS - t)) s"
elif [ ! -f "$base" ]; then
  log "making the Debian 13 base image (once; about 7 minutes)"
  rm -f "$work"/debian-"$suite"-arm64-*.img
  "$here/test/ship/make-debian-image.sh" --out "$base" --kernel "$vmlinuz" --initrd "$work/initrd.cpio" --suite "$suite"
  log "base image built: $((SECONDS - t)) s"
fi

if [ -z "$bundle" ]; then
  t=$SECONDS
  bundle=$("$here/scripts/build-bundle" --out "$work/bundle" 2> "$work/build-bundle.log") || { tail -30 "$work/build-bundle.log" >&2; exit 1; }
  log "build-bundle: $((SECONDS - t)) s"
fi

# The guest files go into a scratch copy of the base, which build-image then starts from. The
# image is kept while none of its inputs changed.
t=$SECONDS
image=$work/roombox-arm64-bench.img
image_key=$( { echo "$base"; sha256sum "$bundle" "$guest"/* "$here/scripts/build-image"; \
  (cd "$here" && find rootfs-overlay -type f | LC_ALL=C sort | xargs sha256sum); } | sha256sum | cut -c1-16)
if [ -f "$image" ] && [ "$(cat "$image.key" 2>/dev/null)" = "$image_key" ]; then
  log "card image unchanged: reused"
else
rm -f "$image.key"
scratch=$work/scratch
rm -rf "$scratch"; mkdir -p "$scratch"
cp --sparse=always "$base" "$scratch/base.img"
read -r root_start root_size _ < <(part "$scratch/base.img")
dd if="$scratch/base.img" of="$scratch/root.img" bs=512 skip="$root_start" count="$root_size" status=none
{
  for d in /usr/local /usr/local/lib /usr/local/lib/roombox-bench; do
    debugfs -R "stat $d" "$scratch/root.img" 2>&1 | grep -q '^Inode:' || echo "mkdir $d"
  done
  for f in "$guest"/*; do
    name=$(basename "$f")
    [ "$name" = roombox-bench.service ] && dest=/etc/systemd/system/$name || dest=/usr/local/lib/roombox-bench/$name
    echo "rm $dest"; echo "write $f $dest"; echo "sif $dest mode 0100644"
  done
} > "$scratch/guest.cmds"
debugfs -w -f "$scratch/guest.cmds" "$scratch/root.img" > "$scratch/debugfs.log" 2>&1
for f in "$guest"/*; do
  name=$(basename "$f")
  [ "$name" = roombox-bench.service ] && dest=/etc/systemd/system/$name || dest=/usr/local/lib/roombox-bench/$name
  debugfs -R "stat $dest" "$scratch/root.img" 2>&1 | grep -q '^Inode:' || { log "could not write $dest into the base"; cat "$scratch/debugfs.log" >&2; exit 1; }
done
dd if="$scratch/root.img" of="$scratch/base.img" bs=512 seek="$root_start" conv=notrunc status=none
rm "$scratch/root.img"

"$here/scripts/build-image" --base "$scratch/base.img" --bundle "$bundle" --out "$image" > "$work/build-image.log" 2>&1 \
  || { tail -30 "$work/build-image.log" >&2; exit 1; }
rm -rf "$scratch"
echo "$image_key" > "$image.key"
log "guest files and build-image: $((SECONDS - t)) s"
fi

# Inside the VM the card is /dev/vda: its first Linux partition is the root build-image wrote.
node=$(part "$image" | cut -d' ' -f3)
echo "vmlinuz=$vmlinuz"
echo "initrd=$work/initrd.cpio"
echo "image=$image"
echo "root=/dev/vda${node##*[!0-9]}"
