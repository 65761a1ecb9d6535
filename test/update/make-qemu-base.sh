#!/usr/bin/env bash
# A base card image that boots under qemu-system-aarch64 (-M virt) the way a Raspberry Pi OS card
# boots on a Pi, for the update tests: an MBR card with a FAT boot partition (Debian's arm64
# kernel as `vmlinuz`, an initrd with its disk, FAT and network modules, config.txt naming both,
# cmdline.txt without console=, so the kernel takes the serial port from the device tree) and an
# ext4 root: Debian 13's Node.js and busybox (busybox init in place of systemd, for speed:
# test/update/guest/roombox-vm-init), made without running arm64 code.
# scripts/build-image and scripts/build-update take it as --base like a Raspberry Pi OS image.
#   test/update/make-qemu-base.sh <cache-dir>
# Prints the image's path. Cached in <cache-dir> by this recipe's hash (the kernel package is
# kept in <cache-dir>/kernel); an older image there is removed.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cache=$(realpath -m "$1"); suite=trixie
mkdir -p "$cache"
key=$(cat "$0" "$here"/test/update/guest/* | sha256sum | cut -c1-12)
out=$cache/qemu-base-$key.img
if [ -f "$out" ]; then echo "$out"; exit 0; fi
export MTOOLS_SKIP_CHECK=1
work=$(mktemp -d "$cache/build.XXXXXX"); trap 'rm -rf "$work"' EXIT

initrd=$work/initrd
vmlinuz=$("$here/scripts/arm64-kernel" "$cache/kernel" "$suite" --modules "$initrd/modules" virtio_blk ext4 vfat nls_cp437 nls_ascii nls_utf8 virtio_net)
"$here/scripts/arm64-sysroot" "$initrd" "$suite" busybox-static >/dev/null
install -m 755 "$here/test/update/guest/initrd-init.sh" "$initrd/init"
mkdir -p "$initrd"/{proc,sys,dev,newroot}
(cd "$initrd" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$work/initrd.img"

root=$work/root
"$here/scripts/arm64-sysroot" "$root" "$suite" --with-deps nodejs libasound2t64 busybox-static >/dev/null
rm -rf "$root"/usr/share/{doc,man,locale,info}
for applet in $(qemu-aarch64-static "$root/usr/bin/busybox" --list); do
  [ -e "$root/usr/bin/$applet" ] || ln -s busybox "$root/usr/bin/$applet"
done
aarch64-linux-gnu-gcc -static -Os -o "$root/usr/sbin/reboot-with-arg" "$here/test/update/guest/reboot-with-arg.c"
install -m 755 "$here/test/update/guest/roombox-vm-init" "$root/sbin/roombox-vm-init"
install -m 755 "$here/test/update/guest/roombox-vm-reboot" "$root/usr/sbin/roombox-vm-reboot"
mkdir -p "$root"/{proc,sys,dev,tmp,run,etc,var/lib/roombox,boot/firmware,boot/autoboot,root}
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
echo roombox-qemu > "$root/etc/hostname"
printf 'PARTUUID=0badcafe-01 /boot/firmware vfat defaults 0 2\nPARTUUID=0badcafe-02 / ext4 defaults,noatime 0 1\n' > "$root/etc/fstab"
# Room for the bundle (about 50 MB unpacked) and as much again: every part an update test
# writes is streamed, hashed and written whole by the emulated box, so the slots are kept small.
root_mib=$(( $(du -sm "$root" | cut -f1) + 100 ))
# (stdout is the card's path only: mke2fs says "Creating regular file" there even with -q)
mke2fs -q -t ext4 -L rootfs -E root_owner=0:0 -d "$root" "$work/root.img" "${root_mib}M" > /dev/null

# The kernel (about 37 MB) and the initrd (about 5 MB).
boot_mib=64
mkfs.vfat -n bootfs -C "$work/boot.img" $((boot_mib * 1024)) >/dev/null
cp "$vmlinuz" "$work/vmlinuz"
printf '# qemu virt stand-in for a Raspberry Pi boot partition\narm_64bit=1\nkernel=vmlinuz\ninitramfs initrd.img followkernel\n' > "$work/config.txt"
printf 'root=PARTUUID=0badcafe-02 rootfstype=ext4 rootwait panic=-1 loglevel=4 init=/sbin/roombox-vm-init\n' > "$work/cmdline.txt"
mcopy -i "$work/boot.img" "$work/vmlinuz" "$work/initrd.img" "$work/config.txt" "$work/cmdline.txt" ::
rm -f "$work/card.img"
truncate -s $(( (1 + boot_mib + root_mib + 1) * 1024 * 1024 )) "$work/card.img"
printf 'label: dos\nlabel-id: 0x0badcafe\nsize=%dMiB, type=c\nsize=%dMiB, type=83\n' "$boot_mib" "$root_mib" | sfdisk -q "$work/card.img"
dd if="$work/boot.img" of="$work/card.img" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$work/root.img" of="$work/card.img" bs=1M seek=$((1 + boot_mib)) conv=notrunc,sparse status=none
rm -f "$cache"/qemu-base-*.img
mv "$work/card.img" "$out"
echo "$out"
