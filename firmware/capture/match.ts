import type { CardInfo } from '../asound/cards.js';
import type { InputMatch } from '../board/profile.js';

/** Where a profile input is right now: the PCM to open and, when known, the card behind it. */
export interface ResolvedInput {
  pcm: string;
  card?: number;
  cardId?: string;
  device: number;
}

/**
 * Finds a profile input among the present cards. Card-based matches open
 * `plughw:CARD=<id>,DEV=<d>` (the plug layer converts to the profile's format, rate and channels
 * when the hardware differs). A direct `pcm` is opened as is; it is present when the card it names
 * (CARD=<id>, hw:<id> or hw:<n>) is, and always when it names none (a software PCM).
 */
export function resolveInput(match: InputMatch, cards: readonly CardInfo[]): ResolvedInput | undefined {
  const device = match.device ?? 0;
  const withCapture = (c: CardInfo) => c.capture.includes(device);
  let card: CardInfo | undefined;
  if (match.cardId !== undefined) card = cards.find((c) => c.id === match.cardId && withCapture(c));
  else if (match.usbId !== undefined) card = cards.find((c) => c.usbId !== undefined && usbIdMatches(match.usbId!, c.usbId) && withCapture(c));
  else if (match.anyUsb) card = cards.find((c) => c.usbId !== undefined && withCapture(c));
  else if (match.pcm !== undefined) {
    const named = pcmCard(match.pcm);
    if (named === undefined) return { pcm: match.pcm, device };
    const found = cards.find((c) => (typeof named === 'number' ? c.index === named : c.id === named));
    return found ? { pcm: match.pcm, card: found.index, cardId: found.id, device } : undefined;
  }
  if (!card) return undefined;
  return { pcm: match.pcm ?? `plughw:CARD=${card.id},DEV=${device}`, card: card.index, cardId: card.id, device };
}

/** `0d8c:0014` matches itself; `0d8c:*` matches any product of that vendor. */
export function usbIdMatches(pattern: string, usbId: string): boolean {
  const [v, p] = pattern.toLowerCase().split(':');
  const [cv, cp] = usbId.toLowerCase().split(':');
  return v === cv && (p === '*' || p === cp);
}

/** The card a PCM name points at: an index, an id, or undefined for a software PCM. */
export function pcmCard(pcm: string): number | string | undefined {
  const named = /CARD=([^,\s]+)/.exec(pcm);
  const short = /^(?:plug)?hw:([^,\s=]+)/.exec(pcm);
  const value = named?.[1] ?? short?.[1];
  if (value === undefined) return undefined;
  return /^\d+$/.test(value) ? Number(value) : value;
}
