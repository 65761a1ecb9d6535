#!/usr/bin/busybox sh
# /init of the initrd on the qemu base's boot partition (test/update/make-qemu-base.sh): loads
# the disk, file system and network modules of Debian's arm64 kernel (on a Raspberry Pi they are
# built into its kernel), mounts root= and hands over to its init=.
#   root=PARTUUID=<disk id>-NN   partition NN of the one virtio disk (/dev/vdaN; the harness
#                                boots one card)
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules/order); do insmod "/modules/$m" || echo "initrd: insmod $m failed"; done
root= init=/sbin/init
for arg in $(cat /proc/cmdline); do
  case $arg in
    root=PARTUUID=*-*) n=${arg##*-}; root=/dev/vda$((10#$n)) ;;
    root=/dev/*) root=${arg#root=} ;;
    init=*) init=${arg#init=} ;;
  esac
done
i=0
while [ ! -b "$root" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
mkdir -p /newroot
mount -t ext4 -o rw "$root" /newroot || { echo "initrd: cannot mount $root"; poweroff -f; }
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot "$init"
