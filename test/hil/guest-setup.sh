#!/bin/sh
# Guest half of the hardware-in-the-loop test, run once after boot. Gives the kernel what a
# Raspberry Pi 4 with an audio HAT shows the box, with real kernel drivers:
# - gpio-sim (configfs): one chip labelled pinctrl-bcm2711 whose 58 lines are named GPIO0..GPIO57
#   as the Pi's device tree names them; the lines given as arguments get a pull-up (the board's
#   resistors), the rest read low as after reset;
# - i2c-stub on a new bus: a PCM512x-class chip at 0x4c whose registers 0x01-0x7f are paged by
#   register 0x00 (as the real codec pages them) and a chip at 0x4b. Page 1 of the first is
#   marked (0x3d = 0xaa) and left selected: a driver that forgets to select page 0 writes there;
# - the gpio_value trace event (sets only), the kernel's own record of every line change.
# Prints "hil: ready ..." with what the test needs to know.
set -eu
mount -t configfs none /sys/kernel/config
mount -t tracefs none /sys/kernel/tracing
insmod /modules/extra/gpio-sim.ko
d=/sys/kernel/config/gpio-sim/pi
mkdir "$d" "$d/bank0"
echo pinctrl-bcm2711 > "$d/bank0/label"
echo 58 > "$d/bank0/num_lines"
n=0
while [ $n -lt 58 ]; do
  mkdir "$d/bank0/line$n"
  echo "GPIO$n" > "$d/bank0/line$n/name"
  n=$((n + 1))
done
echo 1 > "$d/live"
chip=$(cat "$d/bank0/chip_name")
sim=/sys/devices/platform/$(cat "$d/dev_name")/$chip
ln -s "$sim" /run/hil-sim
for line in "$@"; do echo pull-up > "$sim/sim_gpio$line/pull"; done
base=
for c in /sys/class/gpio/gpiochip*; do
  [ "$(cat "$c/label")" = pinctrl-bcm2711 ] && base=$(cat "$c/base")
done

insmod /modules/extra/i2c-stub.ko chip_addr=0x4c,0x4b bank_reg=0x00,0 bank_mask=0xff,0 bank_start=0x01,0 bank_end=0x7f,0
bus=$(ls /sys/class/i2c-dev | sed -n 's/^i2c-//p' | sort -n | tail -1)
i2cset -y "$bus" 0x4c 0x00 0x01
i2cset -y "$bus" 0x4c 0x3d 0xaa

t=/sys/kernel/tracing
echo 'get == 0' > $t/events/gpio/gpio_value/filter
echo 1 > $t/events/gpio/gpio_value/enable
echo "hil: ready chip=$chip base=$base bus=$bus"
