import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Slot } from '../api/update.js';

/** The card's partitions of each slot (MBR numbering, as the Pi firmware counts them). */
export const SLOT_PARTITIONS: Record<Slot, { boot: number; root: number }> = { a: { boot: 2, root: 5 }, b: { boot: 3, root: 6 } };

export function otherSlot(slot: Slot): Slot {
  return slot === 'a' ? 'b' : 'a';
}

/** The slot whose boot partition is `n`, if any. */
export function slotOfBootPartition(n: number): Slot | undefined {
  return n === SLOT_PARTITIONS.a.boot ? 'a' : n === SLOT_PARTITIONS.b.boot ? 'b' : undefined;
}

/** Partition N of a disk: `<disk>pN` when the disk's name ends in a digit (mmcblk0p5), else `<disk>N` (vda5). */
export function partitionPath(disk: string, n: number): string {
  return /\d$/.test(disk) ? `${disk}p${n}` : `${disk}${n}`;
}

/**
 * The slot this system booted: `roombox.slot=` on the kernel command line, else the boot
 * partition the Pi firmware reports in the device tree; undefined off an A/B card.
 */
export function runningSlot(procRoot: string): Slot | undefined {
  const cmdline = readOrUndefined(join(procRoot, 'proc', 'cmdline'))?.toString('utf8') ?? '';
  const m = /(?:^|\s)roombox\.slot=([ab])(?:\s|$)/.exec(cmdline);
  if (m) return m[1] as Slot;
  const partition = readOrUndefined(join(procRoot, 'proc', 'device-tree', 'chosen', 'bootloader', 'partition'));
  return partition && partition.length >= 4 ? slotOfBootPartition(partition.readUInt32BE(0)) : undefined;
}

/** The kernel's id of this boot: a restart of the firmware keeps it, a reboot changes it. */
export function bootId(procRoot: string): string | undefined {
  return readOrUndefined(join(procRoot, 'proc', 'sys', 'kernel', 'random', 'boot_id'))?.toString('utf8').trim() || undefined;
}

function readOrUndefined(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}
