import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../core/clock.js';
import { backoffDelay } from '../mqtt/backoff.js';
import { DISCONNECTED, sameState, type PlayerEvents, type PlayerState } from './player.js';

export interface PlayerOptions {
  clock: Clock;
  random?: () => number;
  /** First reconnect delay; doubles up to maxDelayMs, with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How long a call may wait for its reply. */
  callTimeoutMs?: number;
  /** Told about connection problems (the state carries the outcome). */
  onError?: (err: Error) => void;
}

/**
 * The lifecycle both players share: one connection attempt at a time, the state published only
 * when it changes, and reconnects with backoff after any loss until stop().
 */
export abstract class ReconnectingPlayer extends EventEmitter<PlayerEvents> {
  private state: PlayerState = DISCONNECTED;
  private attempt = 0;
  private retryTimer?: TimerHandle;
  protected stopped = true;
  protected readonly clock: Clock;
  protected readonly callTimeoutMs: number;

  constructor(protected readonly opts: PlayerOptions) {
    super();
    this.clock = opts.clock;
    this.callTimeoutMs = opts.callTimeoutMs ?? 5000;
  }

  get current(): PlayerState {
    return { ...this.state };
  }

  connect(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) this.clock.clear(this.retryTimer);
    this.retryTimer = undefined;
    await this.close();
    this.update(DISCONNECTED);
  }

  /** Opens the transport; calls connectionUp() once the state has been read, connectionLost() on any failure. */
  protected abstract open(): void;
  /** Closes the transport without scheduling a reconnect. */
  protected abstract close(): Promise<void>;

  protected connectionUp(state: Omit<PlayerState, 'connected'>): void {
    this.attempt = 0;
    this.update({ ...state, connected: true });
  }

  protected connectionLost(err?: Error): void {
    if (err) this.opts.onError?.(err);
    this.update({ ...this.state, connected: false, state: 'unknown' });
    if (this.stopped || this.retryTimer) return;
    const delay = backoffDelay(this.attempt++, this.opts.random, this.opts.baseDelayMs ?? 500, this.opts.maxDelayMs ?? 30_000);
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) this.open();
    }, delay);
  }

  protected update(patch: Partial<PlayerState>): void {
    const next = { ...this.state, ...patch };
    if (sameState(next, this.state)) return;
    const previous = this.state;
    this.state = next;
    this.emit('change', { ...next }, previous);
  }
}
