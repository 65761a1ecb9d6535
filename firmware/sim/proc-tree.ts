import { mkdtempSync, mkdirSync, rmSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface SimCard {
  index: number;
  id: string;
  driver: string;
  name: string;
  longName: string;
  usbId?: string;
  /** Device numbers with a playback PCM. */
  playback?: number[];
  /** Device numbers with a capture PCM. */
  capture?: number[];
}

/**
 * A /proc/asound tree in a temporary directory, written in the kernel's formats, so the real
 * parsers always run. The sim board's playback and hot-plug commands write into it.
 */
export class SimProcTree {
  readonly root: string;
  private readonly cards = new Map<number, SimCard>();

  constructor(root?: string) {
    this.root = root ?? mkdtempSync(join(tmpdir(), 'roombox-proc-'));
    mkdirSync(this.asound, { recursive: true });
    this.writeCards();
  }

  get asound(): string {
    return join(this.root, 'proc', 'asound');
  }

  /** Adds (plugs) a card: its directory, usbid and closed PCM status files. */
  addCard(card: SimCard): void {
    this.cards.set(card.index, card);
    const dir = join(this.asound, `card${card.index}`);
    mkdirSync(dir, { recursive: true });
    if (card.usbId) writeAtomic(join(dir, 'usbid'), `${card.usbId}\n`);
    writeAtomic(join(dir, 'id'), `${card.id}\n`);
    for (const d of card.playback ?? []) this.writeStatus(card.index, d, 'p', 0, 'closed\n');
    for (const d of card.capture ?? []) this.writeStatus(card.index, d, 'c', 0, 'closed\n');
    this.writeCards();
  }

  /** Removes (unplugs) a card, as the kernel does when a USB device goes. */
  removeCard(index: number): void {
    this.cards.delete(index);
    rmSync(join(this.asound, `card${index}`), { recursive: true, force: true });
    this.writeCards();
  }

  hasCard(index: number): boolean {
    return this.cards.has(index);
  }

  card(index: number): SimCard | undefined {
    return this.cards.get(index);
  }

  /** Writes pcm<D><p|c>/sub<S>/status, atomically so a reader never sees half a file. */
  writeStatus(card: number, device: number, direction: 'p' | 'c', sub: number, text: string): void {
    const file = join(this.asound, `card${card}`, `pcm${device}${direction}`, `sub${sub}`, 'status');
    if (!existsSync(dirname(file))) mkdirSync(dirname(file), { recursive: true });
    writeAtomic(file, text);
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  /** /proc/asound/cards in the kernel's format: `%2i [%-15s]: %s - %s` then the long name. */
  private writeCards(): void {
    const sorted = [...this.cards.values()].sort((a, b) => a.index - b.index);
    const text =
      sorted.length === 0
        ? '--- no soundcards ---\n'
        : sorted.map((c) => `${String(c.index).padStart(2)} [${c.id.padEnd(15)}]: ${c.driver} - ${c.name}\n${' '.repeat(22)}${c.longName}\n`).join('');
    writeAtomic(join(this.asound, 'cards'), text);
  }
}

/** The status text of a running PCM substream, as the kernel prints it. */
export function runningStatus(hwPtr: number, ownerPid = 4242): string {
  return [
    'state: RUNNING',
    `owner_pid   : ${ownerPid}`,
    'trigger_time: 1000.000000000',
    'tstamp      : 1001.000000000',
    'delay       : 1024',
    'avail       : 1024',
    'avail_max   : 2048',
    '-----',
    `hw_ptr      : ${hwPtr}`,
    `appl_ptr    : ${hwPtr + 1024}`,
    '',
  ].join('\n');
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}
