import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Slot } from '../api/update.js';
import { writeDurably } from './durable-file.js';
import { SLOT_PARTITIONS, otherSlot, slotOfBootPartition } from './slots.js';

/** autoboot.txt on the card's first partition: which boot partition the Pi firmware starts. */
export class Autoboot {
  constructor(private readonly dir: string) {}

  get path(): string {
    return join(this.dir, 'autoboot.txt');
  }

  /** The slot `[all] boot_partition` names: the one the box boots unless told to try the other. */
  async committedSlot(): Promise<Slot | undefined> {
    const text = await readFile(this.path, 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    const n = bootPartitions(text).all;
    return n === undefined ? undefined : slotOfBootPartition(n);
  }

  /** Makes `slot` the normal boot and the other the one `tryboot` starts; every other line is kept. */
  async commit(slot: Slot): Promise<void> {
    const text = await readFile(this.path, 'utf8');
    await writeDurably(this.path, withBootPartitions(text, SLOT_PARTITIONS[slot].boot, SLOT_PARTITIONS[otherSlot(slot)].boot));
  }
}

/** `boot_partition` of the `[all]` and `[tryboot]` sections (config.txt's conditional-section syntax). */
export function bootPartitions(text: string): { all?: number; tryboot?: number } {
  const found: { all?: number; tryboot?: number } = {};
  let section = 'all';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) section = header[1]!.toLowerCase();
    const m = /^boot_partition\s*=\s*(\d+)$/.exec(line);
    if (m && (section === 'all' || section === 'tryboot')) found[section] = Number(m[1]);
  }
  return found;
}

export function withBootPartitions(text: string, normal: number, tryboot: number): string {
  let section = 'all';
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/).map((raw) => {
    const header = /^\[(\w+)\]$/.exec(raw.trim());
    if (header) section = header[1]!.toLowerCase();
    if (!/^boot_partition\s*=/.test(raw.trim()) || (section !== 'all' && section !== 'tryboot')) return raw;
    seen.add(section);
    return `boot_partition=${section === 'all' ? normal : tryboot}`;
  });
  if (!seen.has('all') || !seen.has('tryboot')) throw new Error('autoboot.txt lacks boot_partition in [all] or [tryboot]');
  return lines.join('\n');
}
