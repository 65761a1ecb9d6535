import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SLOT_PARTITIONS } from '../../firmware/update/slots.js';

export const BOOT_BYTES = 256 * 1024;
export const ROOT_BYTES = 768 * 1024;
export const AUTOBOOT_A = '[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=3\n';

/**
 * The card as plain files: `card2`, `card3` (boot A and B), `card5`, `card6` (root A and B), the
 * autoboot partition as a directory with autoboot.txt, and the data partition's update state. A
 * "boot" of a slot is a /proc tree whose cmdline names it, with a fresh boot id.
 */
export class Card {
  readonly dir = mkdtempSync(join(tmpdir(), 'roombox-card-'));
  readonly disk = join(this.dir, 'card');
  readonly autobootDir = join(this.dir, 'autoboot');
  readonly dataDir = join(this.dir, 'data');
  readonly stateDir = join(this.dataDir, 'update');
  readonly reboots = join(this.dir, 'reboots');
  readonly rebootCmd = join(this.dir, 'reboot');
  private boots = 0;

  /** `rootBytes`: root partitions that large, sparse (zeros) instead of random. */
  constructor(opts: { rootBytes?: number } = {}) {
    for (const slot of ['a', 'b'] as const) {
      writeFileSync(this.partition(SLOT_PARTITIONS[slot].boot), randomBytes(BOOT_BYTES));
      if (opts.rootBytes === undefined) writeFileSync(this.partition(SLOT_PARTITIONS[slot].root), randomBytes(ROOT_BYTES));
      else {
        writeFileSync(this.partition(SLOT_PARTITIONS[slot].root), '');
        truncateSync(this.partition(SLOT_PARTITIONS[slot].root), opts.rootBytes);
      }
    }
    mkdirSync(this.autobootDir);
    mkdirSync(this.dataDir);
    writeFileSync(join(this.autobootDir, 'autoboot.txt'), AUTOBOOT_A);
    // What the harness's reboot does here: note what was asked for.
    writeFileSync(this.rebootCmd, `#!/bin/sh\necho "$1" >> '${this.reboots}'\n`);
    chmodSync(this.rebootCmd, 0o755);
  }

  partition(n: number): string {
    return `${this.disk}${n}`;
  }

  slotFile(slot: 'a' | 'b', part: 'boot' | 'root'): Buffer {
    return readFileSync(this.partition(SLOT_PARTITIONS[slot][part]));
  }

  autoboot(): string {
    return readFileSync(join(this.autobootDir, 'autoboot.txt'), 'utf8');
  }

  rebootsAsked(): string[] {
    try {
      return readFileSync(this.reboots, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  /** sha256 of every slot partition and autoboot.txt: what "nothing changed" compares. */
  fingerprint(): Record<string, string> {
    const files = [2, 3, 5, 6].map((n) => this.partition(n)).concat(join(this.autobootDir, 'autoboot.txt'));
    return Object.fromEntries(files.map((f) => [f, createHash('sha256').update(readFileSync(f)).digest('hex')]));
  }

  /** A new boot of `slot`: its /proc (cmdline, boot id) for ROOMBOX_PROC_ROOT. */
  boot(slot: 'a' | 'b'): string {
    const root = join(this.dir, `boot-${++this.boots}`);
    mkdirSync(join(root, 'proc', 'sys', 'kernel', 'random'), { recursive: true });
    writeFileSync(join(root, 'proc', 'cmdline'), `console=serial0,115200 root=/dev/mmcblk0p${SLOT_PARTITIONS[slot].root} roombox.slot=${slot} rootwait\n`);
    writeFileSync(join(root, 'proc', 'sys', 'kernel', 'random', 'boot_id'), `${randomBytes(16).toString('hex')}\n`);
    return root;
  }

  /** The box's update settings for one boot. */
  env(procRoot: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
      ROOMBOX_PROC_ROOT: procRoot,
      ROOMBOX_UPDATE_DISK: this.disk,
      ROOMBOX_UPDATE_AUTOBOOT_DIR: this.autobootDir,
      ROOMBOX_UPDATE_STATE_DIR: this.stateDir,
      ROOMBOX_UPDATE_REBOOT_CMD: this.rebootCmd,
      ...extra,
    };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
