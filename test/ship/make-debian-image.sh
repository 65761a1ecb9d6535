#!/usr/bin/env bash
# A Debian 13 arm64 card image standing in for Raspberry Pi OS Lite, made without running arm64
# code on this machine: debootstrap's first stage (--foreign: download and unpack) here, its
# second stage (dpkg configures every package, maintainer scripts included) inside
# qemu-system-aarch64, about 6 minutes in software emulation. Layout as on a Raspberry Pi OS
# card: MBR, FAT "bootfs" (config.txt, cmdline.txt) mounted at /boot/firmware, ext4 "rootfs".
# systemd, udev and systemd-networkd (DHCP on the wired interface) stand in for Raspberry Pi OS's
# systemd and NetworkManager. No kernel inside: the VM boots Debian's from outside.
#   make-debian-image.sh --out <img> --kernel <vmlinuz> --initrd <cpio> [--suite trixie]
# The initrd is the one scripts/test-image-boot builds (test/ship/qemu-initrd-init.sh as /init).
set -euo pipefail
out= kernel= initrd= suite=trixie
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=$(realpath -m "$2"); shift 2 ;;
    --kernel) kernel=$(realpath "$2"); shift 2 ;;
    --initrd) initrd=$(realpath "$2"); shift 2 ;;
    --suite) suite=$2; shift 2 ;;
    *) echo "usage: make-debian-image.sh --out <img> --kernel <vmlinuz> --initrd <cpio>" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] && [ -f "$kernel" ] && [ -f "$initrd" ] || { echo "usage: make-debian-image.sh --out <img> --kernel <vmlinuz> --initrd <cpio>" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "make-debian-image: debootstrap missing (scripts/install-system-deps)" >&2; exit 1; }
work=$(mktemp -d "$(dirname "$out")/.make-debian-image.XXXXXX"); trap 'rm -rf "$work"' EXIT
root=$work/rootfs
label_id=0x7e57b007
log() { echo "make-debian-image: $*" >&2; }

log "debootstrap --foreign $suite arm64 (download and unpack)"
debootstrap --foreign --arch=arm64 --variant=minbase --include=systemd,systemd-sysv,udev \
  --keyring=/usr/share/keyrings/debian-archive-keyring.gpg "$suite" "$root" "$mirror" > "$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
# In a container debootstrap links /proc to the host's.
rm -f "$root/proc"; mkdir -p "$root/proc"

mkdir -p "$root/boot/firmware" "$root/etc/systemd/network"
echo debian > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tdebian\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
cat > "$root/etc/fstab" <<FSTAB
proc            /proc           proc    defaults          0       0
PARTUUID=${label_id#0x}-01  /boot/firmware  vfat    defaults          0       2
PARTUUID=${label_id#0x}-02  /               ext4    defaults,noatime  0       1
FSTAB
cat > "$root/etc/systemd/network/20-wired.network" <<NET
[Match]
Name=en* eth*

[Network]
DHCP=yes
NET
# dpkg's fsync after every file is most of the second stage's time under emulation; a crash
# here only means building again, so it is switched off while the image is made.
mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
echo force-unsafe-io > "$root/etc/dpkg/dpkg.cfg.d/zz-roombox-build"
cat > "$root/root/roombox-stage2.sh" <<'STAGE2'
set -e
/debootstrap/debootstrap --second-stage
systemctl enable systemd-networkd.service
apt-get clean
rm -f /etc/dpkg/dpkg.cfg.d/zz-roombox-build /root/roombox-stage2.sh
STAGE2

log "root file system and card image"
mke2fs -q -t ext4 -L rootfs -d "$root" "$work/root.img" 1200M > /dev/null
mkfs.vfat -n bootfs -C "$work/boot.img" $((64 * 1024)) > /dev/null 2>&1
printf '# Raspberry Pi firmware settings (not read under qemu)\narm_64bit=1\n' > "$work/config.txt"
printf 'console=serial0,115200 console=tty1 root=PARTUUID=%s-02 rootfstype=ext4 fsck.repair=yes rootwait\n' "${label_id#0x}" > "$work/cmdline.txt"
MTOOLS_SKIP_CHECK=1 mcopy -i "$work/boot.img" "$work/config.txt" "$work/cmdline.txt" ::
boot_sectors=$((64 * 1024 * 1024 / 512)); root_sectors=$((1200 * 1024 * 1024 / 512)); root_start=$((2048 + boot_sectors))
truncate -s $(( (root_start + root_sectors) * 512 )) "$work/card.img"
printf 'label: dos\nlabel-id: %s\nstart=2048, size=%d, type=c\nstart=%d, size=%d, type=83\n' "$label_id" "$boot_sectors" "$root_start" "$root_sectors" | sfdisk -q "$work/card.img"
dd if="$work/boot.img" of="$work/card.img" bs=512 seek=2048 conv=notrunc,sparse status=none
dd if="$work/root.img" of="$work/card.img" bs=512 seek="$root_start" conv=notrunc,sparse status=none
rm -rf "$root" "$work/root.img"

log "debootstrap --second-stage inside qemu-system-aarch64 (about 6 minutes)"
start=$SECONDS
timeout --foreground 1800 qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 1024 -nographic -no-reboot \
  -kernel "$kernel" -initrd "$initrd" -append "console=ttyAMA0 root=/dev/vda2 rw roombox.stage2 panic=-1 quiet" \
  -drive file="$work/card.img",format=raw,if=virtio,cache=unsafe -nic none < /dev/null > "$work/stage2.log" 2>&1 || true
grep -q '^roombox-stage2: ok' "$work/stage2.log" || { cp "$work/stage2.log" "$out.stage2.log"; log "second stage failed (console in $out.stage2.log):"; tail -40 "$work/stage2.log" >&2; exit 1; }
log "second stage done in $((SECONDS - start)) s"
dd if="$work/card.img" of="$work/root.img" bs=512 skip="$root_start" count="$root_sectors" status=none
e2fsck -fn "$work/root.img" > "$work/fsck.log" 2>&1 || { log "root file system not clean after the second stage"; tail -20 "$work/fsck.log" >&2; exit 1; }
mv "$work/card.img" "$out"
