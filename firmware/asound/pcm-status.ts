import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One pcm<D><p|c>/sub<S>/status file: `closed`, or a state with the hardware pointer. */
export interface PcmStatus {
  state: 'closed' | 'OPEN' | 'SETUP' | 'PREPARED' | 'RUNNING' | 'XRUN' | 'DRAINING' | 'PAUSED' | 'SUSPENDED' | 'DISCONNECTED' | 'unknown';
  hwPtr?: number;
}

const STATES = new Set(['OPEN', 'SETUP', 'PREPARED', 'RUNNING', 'XRUN', 'DRAINING', 'PAUSED', 'SUSPENDED', 'DISCONNECTED']);

/** Parses a status file's text as the kernel's sound/core/pcm.c prints it. */
export function parsePcmStatus(text: string): PcmStatus {
  const trimmed = text.trim();
  if (trimmed === 'closed') return { state: 'closed' };
  const m = /^state:\s*(\S+)/m.exec(trimmed);
  const state = m && STATES.has(m[1]!) ? (m[1] as PcmStatus['state']) : 'unknown';
  const p = /^hw_ptr\s*:\s*(\d+)/m.exec(trimmed);
  return p ? { state, hwPtr: Number(p[1]) } : { state };
}

/**
 * The status files of every (or one) playback substream of card<N>/pcm<D>p under
 * <procRoot>/proc/asound, with their `sub<S>` names. A missing card or device gives none.
 */
export function playbackStatusFiles(procRoot: string, card: number, device: number, subdevice?: number): { sub: string; path: string }[] {
  const dir = join(procRoot, 'proc', 'asound', `card${card}`, `pcm${device}p`);
  let subs: string[];
  if (subdevice !== undefined) subs = [`sub${subdevice}`];
  else {
    try {
      subs = readdirSync(dir).filter((e) => /^sub\d+$/.test(e));
    } catch {
      return [];
    }
  }
  return subs.map((sub) => ({ sub, path: join(dir, sub, 'status') }));
}
