#!/usr/bin/env bash
# A small stand-in for a Raspberry Pi OS card image: an MBR disk with a FAT boot partition
# (config.txt, cmdline.txt) and an ext4 root with a few files whose survival the tests check.
#   make-base-image.sh <out.img>
set -euo pipefail
out=$1
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{etc/systemd/system,usr/bin,usr/lib,var/lib/dpkg,var/cache,home/pi,boot/firmware}
ln -s usr/lib "$root/lib"; ln -s usr/bin "$root/bin"
printf 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nID=debian\nVERSION_ID="13"\n' > "$root/etc/os-release"
echo raspberrypi > "$root/etc/hostname"
printf 'proc /proc proc defaults 0 0\nPARTUUID=0badcafe-01 /boot/firmware vfat defaults 0 2\nPARTUUID=0badcafe-02 / ext4 defaults,noatime 0 1\n' > "$root/etc/fstab"
printf 'alias ll="ls -l"\n' > "$root/home/pi/.bashrc"
# Read back from a card that has booted: systemd-update-done stamped /etc.
printf 'TIMESTAMP_NSEC=1764000000000000000\n' > "$root/etc/.updated"
chmod 700 "$root/home/pi"
printf 'Package: base-files\nStatus: install ok installed\nArchitecture: arm64\nVersion: 13.8\n\n' > "$root/var/lib/dpkg/status"
mke2fs -q -t ext4 -b 4096 -L rootfs -E root_owner=0:0 -d "$root" "$work/root.img" 420M
# A real image was built by installing and removing packages: its free space is fragmented and
# holds old bytes. 1 MB files that are deleted again, between small ones that stay.
head -c 1M /dev/zero | tr '\0' U > "$work/stale"
{ echo "mkdir /var/cache/old"; for i in $(seq 300); do echo "write $work/stale /var/cache/old/s$i"; echo "write $root/etc/hostname /var/cache/old/k$i"; done; } > "$work/fill.cmds"
for i in $(seq 300); do echo "rm /var/cache/old/s$i"; done > "$work/free.cmds"
debugfs -w -f "$work/fill.cmds" "$work/root.img" >/dev/null 2>&1
debugfs -w -f "$work/free.cmds" "$work/root.img" >/dev/null 2>&1
mkfs.vfat -n bootfs -C "$work/boot.img" 32768 >/dev/null
printf '# Raspberry Pi config\narm_64bit=1\ndtoverlay=vc4-kms-v3d\n' > "$work/config.txt"
printf 'console=serial0,115200 console=tty1 root=PARTUUID=0badcafe-02 rootfstype=ext4 fsck.repair=yes rootwait\n' > "$work/cmdline.txt"
MTOOLS_SKIP_CHECK=1 mcopy -i "$work/boot.img" "$work/config.txt" "$work/cmdline.txt" ::
boot_sectors=$((32768 * 1024 / 512)); root_sectors=$((420 * 1024 * 1024 / 512))
rm -f "$out"
truncate -s $(( (2048 + boot_sectors + root_sectors) * 512 )) "$out"
printf 'label: dos\nlabel-id: 0x0badcafe\nstart=2048, size=%d, type=c\nstart=%d, size=%d, type=83\n' "$boot_sectors" $((2048 + boot_sectors)) "$root_sectors" | sfdisk -q "$out"
dd if="$work/boot.img" of="$out" bs=512 seek=2048 conv=notrunc,sparse status=none
dd if="$work/root.img" of="$out" bs=512 seek=$((2048 + boot_sectors)) conv=notrunc,sparse status=none
