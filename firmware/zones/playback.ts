import { readCards } from '../asound/cards.js';
import { readPlaybackStatus } from '../asound/pcm-status.js';
import type { Clock, TimerHandle } from '../core/clock.js';

/**
 * Something that knows whether the zone is playing. Polled sources (/proc) are asked each poll;
 * push sources (a music player, later) keep their last answer and return it.
 */
export interface PlaybackSource {
  readonly name: string;
  playing(): boolean;
}

/**
 * Playback from <procRoot>/proc/asound/card<N>/pcm<D>p/sub<S>/status: RUNNING with a hw_ptr
 * that moved since the previous read. The first read of a stream only sets the baseline.
 */
export class ProcPlaybackSource implements PlaybackSource {
  readonly name = 'alsa';
  private readonly lastPtr = new Map<string, number>();
  private cardIndex?: number;

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
    const status = readPlaybackStatus(this.procRoot, card, this.playback.device, this.playback.subdevice);
    if (status.size === 0 && typeof this.playback.card === 'string') this.cardIndex = undefined;
    let playing = false;
    for (const [sub, s] of status) {
      const prev = this.lastPtr.get(sub);
      if (s.state === 'RUNNING' && s.hwPtr !== undefined) {
        if (prev !== undefined && s.hwPtr !== prev) playing = true;
        this.lastPtr.set(sub, s.hwPtr);
      } else this.lastPtr.delete(sub);
    }
    for (const sub of this.lastPtr.keys()) if (!status.has(sub)) this.lastPtr.delete(sub);
    return playing;
  }
}

export const POLL_MS = 250;

/** Polls its sources a few times a second and reports the OR of them when it changes. */
export class PlaybackDetector {
  private timer?: TimerHandle;
  current = false;

  constructor(
    private readonly sources: PlaybackSource[],
    private readonly clock: Clock,
    private readonly onPoll: (playing: boolean) => void,
    private readonly pollMs = POLL_MS,
  ) {}

  start(): void {
    this.poll();
    this.timer = this.clock.setInterval(() => this.poll(), this.pollMs);
  }

  stop(): void {
    if (this.timer) this.clock.clear(this.timer);
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
