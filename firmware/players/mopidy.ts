import WebSocket from 'ws';
import { ReconnectingPlayer, type PlayerOptions } from './connection.js';
import { clampVolume, PlayerError, type PlaybackState, type Player, type PlayerState } from './player.js';
import { RpcCalls, type RpcReply } from './rpc.js';

interface MopidyEvent {
  event: string;
  new_state?: string;
  volume?: number | null;
  mute?: boolean | null;
}

function playbackState(s: unknown): PlaybackState {
  return s === 'playing' || s === 'paused' || s === 'stopped' ? s : 'unknown';
}

/**
 * Mopidy over its WebSocket JSON-RPC (`/mopidy/ws`): calls and events share the socket. After each
 * (re)connect the state is read with calls first; events that arrive during that read trigger one
 * more read instead of being applied to a state not known yet.
 */
export class MopidyPlayer extends ReconnectingPlayer implements Player {
  readonly kind = 'mopidy';
  private ws?: WebSocket;
  private rpc: RpcCalls;
  private synced = false;
  private lose?: (err?: Error) => void;
  private eventsDuringSync = false;

  constructor(
    readonly url: string,
    private readonly host: string,
    private readonly port: number,
    opts: PlayerOptions,
  ) {
    super(opts);
    this.rpc = new RpcCalls(this.clock, this.callTimeoutMs);
  }

  protected open(): void {
    const ws = new WebSocket(`ws://${this.host}:${this.port}/mopidy/ws`, { handshakeTimeout: this.callTimeoutMs });
    this.ws = ws;
    let lost = false;
    const lose = (this.lose = (err?: Error) => {
      if (lost || this.ws !== ws) return;
      lost = true;
      this.ws = undefined;
      this.synced = false;
      this.rpc.failAll('connection lost');
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      this.connectionLost(err);
    });
    ws.on('open', () => {
      this.sync(ws).catch((err: Error) => lose(err));
    });
    ws.on('message', (data) => {
      if (this.ws === ws) this.onMessage(String(data));
    });
    ws.on('error', (err) => lose(err));
    ws.on('close', () => lose());
  }

  protected ping(): Promise<unknown> {
    return this.call('core.get_version');
  }

  protected drop(err: Error): void {
    this.lose?.(err);
  }

  protected async close(): Promise<void> {
    const ws = this.ws;
    this.ws = undefined;
    this.synced = false;
    this.rpc.failAll('player stopped');
    if (!ws) return;
    ws.removeAllListeners();
    ws.on('error', () => {});
    if (ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.terminate();
    });
  }

  async setVolume(volume: number): Promise<number> {
    const v = clampVolume(volume);
    const ok = await this.call<boolean>('core.mixer.set_volume', { volume: v });
    if (!ok) throw new PlayerError(`Mopidy refused volume ${v} (no mixer?)`);
    this.update({ volume: v });
    return v;
  }

  async setMute(mute: boolean): Promise<boolean> {
    const ok = await this.call<boolean>('core.mixer.set_mute', { mute });
    if (!ok) throw new PlayerError(`Mopidy refused mute ${mute} (no mixer?)`);
    this.update({ mute });
    return mute;
  }

  private call<T>(method: string, params?: Record<string, unknown>): Promise<T> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || !this.synced && !method.includes('.get_')) {
      return Promise.reject(new PlayerError(`Mopidy at ${this.host}:${this.port} is not connected`));
    }
    return this.rpc.call<T>(method, params, (line) => ws.send(line));
  }

  private async sync(ws: WebSocket): Promise<void> {
    for (let round = 0; ; round++) {
      this.eventsDuringSync = false;
      const [state, volume, mute] = await Promise.all([
        this.call<string>('core.playback.get_state'),
        this.call<number | null>('core.mixer.get_volume'),
        this.call<boolean | null>('core.mixer.get_mute'),
      ]);
      if (this.ws !== ws) return;
      if (!this.eventsDuringSync || round >= 2) {
        this.synced = true;
        this.connectionUp({ state: playbackState(state), volume: volume ?? null, mute: mute ?? null });
        return;
      }
    }
  }

  private onMessage(text: string): void {
    let msg: RpcReply & Partial<MopidyEvent>;
    try {
      msg = JSON.parse(text) as RpcReply & Partial<MopidyEvent>;
    } catch {
      return;
    }
    if (this.rpc.settle(msg) || typeof msg.event !== 'string') return;
    if (!this.synced) {
      this.eventsDuringSync = true;
      return;
    }
    const patch: Partial<PlayerState> = {};
    if (msg.event === 'playback_state_changed') patch.state = playbackState(msg.new_state);
    else if (msg.event === 'volume_changed') patch.volume = typeof msg.volume === 'number' ? msg.volume : null;
    else if (msg.event === 'mute_changed') patch.mute = typeof msg.mute === 'boolean' ? msg.mute : null;
    else return;
    this.update(patch);
  }
}
