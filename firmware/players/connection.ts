import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../core/clock.js';
import { backoffDelay } from '../core/backoff.js';
import { DISCONNECTED, sameState, type PlayerEvents, type PlayerState } from './player.js';

export interface PlayerOptions {
  clock: Clock;
  random?: () => number;
  /** First reconnect delay; doubles up to maxDelayMs, with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How long a call may wait for its reply. */
  callTimeoutMs?: number;
  /** How often a connected player is asked something cheap, so a silent peer is noticed. */
  heartbeatMs?: number;
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
  private heartbeatTimer?: TimerHandle;
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
    this.stopHeartbeat();
    await this.close();
    this.update(DISCONNECTED);
  }

  /** Opens the transport; calls connectionUp() once the state has been read, connectionLost() on any failure. */
  protected abstract open(): void;
  /** Closes the transport without scheduling a reconnect. */
  protected abstract close(): Promise<void>;
  /** A cheap call; its failure (no reply within callTimeoutMs) means the peer is gone. */
  protected abstract ping(): Promise<unknown>;
  /** Tears the current transport down and reports it lost (as if the peer had closed it). */
  protected abstract drop(err: Error): void;

  protected connectionUp(state: Omit<PlayerState, 'connected'>): void {
    this.attempt = 0;
    this.update({ ...state, connected: true });
    this.heartbeatTimer ??= this.clock.setInterval(() => {
      this.ping().catch((err: Error) => this.drop(err));
    }, this.opts.heartbeatMs ?? 15_000);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) this.clock.clear(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  protected connectionLost(err?: Error): void {
    if (err) this.opts.onError?.(err);
    this.stopHeartbeat();
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
