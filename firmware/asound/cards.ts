import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One line pair of /proc/asound/cards: ` 2 [Device         ]: USB-Audio - USB Audio Device`. */
export interface AsoundCard {
  index: number;
  id: string;
  driver: string;
  name: string;
  longName: string;
}

/** A card as discovery sees it: the cards entry plus its USB id and PCM devices. */
export interface CardInfo extends AsoundCard {
  /** `vendor:product` from card<N>/usbid, lower-case; absent for non-USB cards. */
  usbId?: string;
  /** Device numbers that have a capture PCM (pcm<D>c). */
  capture: number[];
  /** Device numbers that have a playback PCM (pcm<D>p). */
  playback: number[];
}

const HEADER = /^\s*(\d+)\s+\[([^\]]*)\]:\s*(.*?)\s+-\s+(.*)$/;

/** Parses the text of /proc/asound/cards (`--- no soundcards ---` gives an empty list). */
export function parseCards(text: string): AsoundCard[] {
  const cards: AsoundCard[] = [];
  for (const line of text.split('\n')) {
    const m = HEADER.exec(line);
    if (m) {
      cards.push({ index: Number(m[1]), id: m[2]!.trim(), driver: m[3]!.trim(), name: m[4]!.trim(), longName: '' });
    } else if (cards.length > 0 && /^\s{2,}\S/.test(line) && cards[cards.length - 1]!.longName === '') {
      cards[cards.length - 1]!.longName = line.trim();
    }
  }
  return cards;
}

/** Parses card<N>/usbid (`%04x:%04x`); undefined when it is not in that form. */
export function parseUsbId(text: string): string | undefined {
  const m = /^([0-9a-fA-F]{4}):([0-9a-fA-F]{4})\s*$/.exec(text.trim());
  return m ? `${m[1]!.toLowerCase()}:${m[2]!.toLowerCase()}` : undefined;
}

/** The text of <procRoot>/proc/asound/cards; undefined when it cannot be read. */
export function readCardsText(procRoot: string): string | undefined {
  try {
    return readFileSync(join(procRoot, 'proc', 'asound', 'cards'), 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Reads every card under <procRoot>/proc/asound with its USB id and PCM devices. Synchronous on
 * purpose: these are a few small files, and the libuv pool is kept for the capture workers.
 * A card that vanishes while being read is simply left out. `text` is the cards file when the
 * caller has just read it.
 */
export function readCards(procRoot: string, text = readCardsText(procRoot)): CardInfo[] {
  if (text === undefined) return [];
  const asound = join(procRoot, 'proc', 'asound');
  const out: CardInfo[] = [];
  for (const card of parseCards(text)) {
    const dir = join(asound, `card${card.index}`);
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    let usbId: string | undefined;
    if (entries.includes('usbid')) {
      try {
        usbId = parseUsbId(readFileSync(join(dir, 'usbid'), 'utf8'));
      } catch {
        /* unplugged while reading */
      }
    }
    const capture: number[] = [];
    const playback: number[] = [];
    for (const e of entries) {
      const m = /^pcm(\d+)([cp])$/.exec(e);
      if (m) (m[2] === 'c' ? capture : playback).push(Number(m[1]));
    }
    capture.sort((a, b) => a - b);
    playback.sort((a, b) => a - b);
    out.push({ ...card, usbId, capture, playback });
  }
  return out;
}
