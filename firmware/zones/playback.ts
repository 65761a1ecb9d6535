import { readCards } from '../asound/cards.js';
import { readFileSync } from 'node:fs';
import { parsePcmStatus, playbackStatusFiles, type PcmStatus } from '../asound/pcm-status.js';
import type { Clock, TimerHandle } from '../core/clock.js';

/**
 * Something that knows whether the zone is playing. Polled sources (/proc) are asked each poll;
 * push sources (a music player, later) keep their last answer and return it.
 */
export interface PlaybackSource {
  readonly name: string;
  playing(): boolean;
}

/** Polls between two listings of a device's substreams (10 s at POLL_MS). */
const RELIST_POLLS = 40;

/**
 * Playback from <procRoot>/proc/asound/card<N>/pcm<D>p/sub<S>/status: RUNNING with a hw_ptr
 * that moved since the previous read. The first read of a stream only sets the baseline.
 * The substreams are listed once and then every RELIST_POLLS polls, or at once when a status
 * file cannot be read (the card went away): a poll, four times a second per zone all day, is
 * then one small file read.
 */
export class ProcPlaybackSource implements PlaybackSource {
  readonly name = 'alsa';
  private readonly lastPtr = new Map<string, number>();
  private cardIndex?: number;
  /** The status files of the listed substreams, and the card they were listed for. */
  private files?: { sub: string; path: string }[];
  private listedCard?: number;
  private polls = 0;

  constructor(
    private readonly procRoot: string,
    private readonly playback: { card: number | string; device: number; subdevice?: number },
  ) {}

  private card(): number | undefined {
    if (typeof this.playback.card === 'number') return this.playback.card;
    this.cardIndex ??= readCards(this.procRoot).find((c) => c.id === this.playback.card)?.index;
    return this.cardIndex;
  }

  playing(): boolean {
    const card = this.card();
    if (card === undefined) return false;
    if (!this.files || card !== this.listedCard || ++this.polls % RELIST_POLLS === 0) {
      const { device, subdevice } = this.playback;
      this.files = playbackStatusFiles(this.procRoot, card, device, subdevice);
      this.listedCard = card;
    }
    let playing = false;
    let read = 0;
    for (const { sub, path } of this.files) {
      let s: PcmStatus;
      try {
        s = parsePcmStatus(readFileSync(path, 'utf8'));
      } catch {
        // Gone while reading: not playing, and the substreams are listed again next time.
        this.lastPtr.delete(sub);
        this.files = undefined;
        continue;
      }
      read++;
      const prev = this.lastPtr.get(sub);
      if (s.state === 'RUNNING' && s.hwPtr !== undefined) {
        if (prev !== undefined && s.hwPtr !== prev) playing = true;
        this.lastPtr.set(sub, s.hwPtr);
      } else this.lastPtr.delete(sub);
    }
    if (read === 0) {
      this.files = undefined;
      if (typeof this.playback.card === 'string') this.cardIndex = undefined;
    }
    if (this.files && this.lastPtr.size > this.files.length) for (const sub of this.lastPtr.keys()) if (!this.files.some((f) => f.sub === sub)) this.lastPtr.delete(sub);
    return playing;
  }
}

export const POLL_MS = 250;

/**
 * One timer for every zone's detector, so that their polls share one wake-up of the process
 * instead of each zone waking it four times a second at its own phase (docs/performance.md,
 * Idle CPU: on a busy board a wake-up costs more than the polls in it).
 */
export class PollGroup {
  private timer?: TimerHandle;
  private readonly members = new Set<PlaybackDetector>();

  constructor(
    private readonly clock: Clock,
    private readonly pollMs = POLL_MS,
  ) {}

  add(d: PlaybackDetector): void {
    this.members.add(d);
    this.timer ??= this.clock.setInterval(() => {
      for (const m of this.members) m.poll();
    }, this.pollMs);
  }

  remove(d: PlaybackDetector): void {
    this.members.delete(d);
    if (this.members.size === 0 && this.timer) {
      this.clock.clear(this.timer);
      this.timer = undefined;
    }
  }
}

/** Polls its sources a few times a second and reports the OR of them when it changes. */
export class PlaybackDetector {
  private readonly group: PollGroup;
  current = false;

  constructor(
    private readonly sources: PlaybackSource[],
    clock: Clock,
    private readonly onPoll: (playing: boolean) => void,
    pollMs = POLL_MS,
    /** Shared with the other zones' detectors; one of its own by default. */
    group?: PollGroup,
  ) {
    this.group = group ?? new PollGroup(clock, pollMs);
  }

  start(): void {
    this.poll();
    this.group.add(this);
  }

  stop(): void {
    this.group.remove(this);
  }

  addSource(source: PlaybackSource): void {
    this.sources.push(source);
  }

  poll(): boolean {
    // Every source is asked (not short-circuited) so each keeps its hw_ptr baseline current.
    const answers = this.sources.map((s) => s.playing());
    this.current = answers.some(Boolean);
    this.onPoll(this.current);
    return this.current;
  }
}
