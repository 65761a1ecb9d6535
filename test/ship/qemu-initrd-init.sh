#!/usr/bin/busybox sh
# /init of the small initrd scripts/test-image-boot boots the card image with: Debian's arm64
# kernel has the disk, ext4, FAT and network drivers as modules, and the image has no modules
# of its own (a real card has the Raspberry Pi kernel's), so they are loaded here.
#   root=<dev>         root partition (default /dev/vda2), mounted read-only unless `rw` is given;
#                      root=PARTUUID=<disk id>-NN (an A/B card's command line) is /dev/vdaN
#   roombox.stage2     instead of booting: run /root/roombox-stage2.sh in the root, then power off
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules/order); do insmod "/modules/$m" || echo "initrd: insmod $m failed"; done

root=/dev/vda2 mode=ro stage2=0
for arg in $(cat /proc/cmdline); do
  case $arg in
    root=/dev/*) root=${arg#root=} ;;
    root=PARTUUID=*-*) n=${arg##*-}; root=/dev/vda$((10#$n)) ;;
    rw) mode=rw ;;
    roombox.stage2) stage2=1 ;;
  esac
done
i=0
while [ ! -b "$root" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
mkdir -p /newroot
if [ $stage2 = 1 ]; then mode=rw; fi
mount -t ext4 -o "$mode" "$root" /newroot || { echo "initrd: cannot mount $root"; sleep 2; poweroff -f; }

if [ $stage2 = 1 ]; then
  for d in proc sys dev; do mount --bind /$d /newroot/$d; done
  if chroot /newroot /bin/sh /root/roombox-stage2.sh; then echo "roombox-stage2: ok"; else echo "roombox-stage2: failed ($?)"; fi
  for d in proc sys dev; do umount /newroot/$d; done
  sync
  mount -o remount,ro /newroot && umount /newroot
  poweroff -f
fi

umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
