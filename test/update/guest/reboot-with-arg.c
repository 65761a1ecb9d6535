/* reboot(2) with an argument, which busybox's reboot cannot pass: the kernel then prints
 * "reboot: Restarting system with command '<arg>'" on its console, as on a Raspberry Pi where
 * the firmware reads "0 tryboot" from the same call. The qemu harness reads that line.
 *   reboot-with-arg '0 tryboot'        (no argument: a plain restart) */
#include <linux/reboot.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  sync();
  long r = argc > 1
      ? syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_RESTART2, argv[1])
      : syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_RESTART, NULL);
  perror("reboot");
  return r == 0 ? 0 : 1;
}
