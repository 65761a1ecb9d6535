import { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { ReconnectingPlayer, type PlayerOptions } from './connection.js';
import { clampVolume, PlayerError, type PlaybackState, type Player } from './player.js';
import { RpcCalls, type RpcReply } from './rpc.js';

interface SnapVolume {
  percent: number;
  muted: boolean;
}
interface SnapClient {
  id: string;
  connected: boolean;
  config: { volume: SnapVolume };
}
interface SnapGroup {
  id: string;
  stream_id: string;
  clients: SnapClient[];
}
interface SnapStream {
  id: string;
  status: string;
}
interface SnapServer {
  groups: SnapGroup[];
  streams: SnapStream[];
}
interface SnapMessage extends RpcReply {
  method?: string;
  params?: Record<string, unknown>;
}

/**
 * One client of a Snapcast server, over the server's TCP control API (newline-delimited JSON-RPC).
 * "playing" means the client is connected and its group's stream is playing. The server does not
 * echo a connection's own Client.SetVolume as a notification, so commands take the reply as the
 * confirmation.
 */
export class SnapcastPlayer extends ReconnectingPlayer implements Player {
  readonly kind = 'snapcast';
  private socket?: Socket;
  private rpc: RpcCalls;
  private synced = false;
  private lose?: (err?: Error) => void;
  private found = false;
  private clientConnected = false;
  private groupId?: string;
  private streamId?: string;
  private streams = new Map<string, string>();

  constructor(
    readonly url: string,
    private readonly host: string,
    private readonly port: number,
    readonly clientId: string,
    opts: PlayerOptions,
  ) {
    super(opts);
    this.rpc = new RpcCalls(this.clock, this.callTimeoutMs);
  }

  protected open(): void {
    const socket = new Socket();
    this.socket = socket;
    let lost = false;
    const lose = (this.lose = (err?: Error) => {
      if (lost || this.socket !== socket) return;
      lost = true;
      this.socket = undefined;
      this.synced = false;
      this.rpc.failAll('connection lost');
      socket.destroy();
      this.connectionLost(err);
    });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    socket.once('connect', () => {
      this.resync(socket).catch((err: Error) => lose(err));
    });
    createInterface({ input: socket, crlfDelay: Infinity })
      .on('line', (line) => {
        if (this.socket === socket) this.onLine(line, socket);
      })
      // readline re-emits the socket's errors; the socket's own handler deals with them.
      .on('error', () => {});
    socket.on('error', (err) => lose(err));
    socket.on('close', () => lose());
    socket.connect(this.port, this.host);
  }

  protected ping(): Promise<unknown> {
    return this.call('Server.GetRPCVersion');
  }

  protected drop(err: Error): void {
    this.lose?.(err);
  }

  protected async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    this.synced = false;
    this.rpc.failAll('player stopped');
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  setVolume(volume: number): Promise<number> {
    const v = clampVolume(volume);
    return this.setClientVolume({ percent: v }).then((r) => r.percent);
  }

  setMute(mute: boolean): Promise<boolean> {
    return this.setClientVolume({ muted: mute }).then((r) => r.muted);
  }

  private async setClientVolume(change: Partial<SnapVolume>): Promise<SnapVolume> {
    const { volume, mute } = this.current;
    if (!this.found || volume === null) throw new PlayerError(`Snapcast client ${this.clientId} is not known to the server`);
    const reply = await this.call<{ volume?: SnapVolume }>('Client.SetVolume', {
      id: this.clientId,
      volume: { percent: volume, muted: mute ?? false, ...change },
    });
    if (!reply?.volume) throw new PlayerError('Client.SetVolume: reply without volume');
    this.update({ volume: reply.volume.percent, mute: reply.volume.muted });
    return reply.volume;
  }

  private call<T>(method: string, params?: Record<string, unknown>, socket = this.socket): Promise<T> {
    if (!socket || socket.destroyed || (!this.synced && method !== 'Server.GetStatus')) {
      return Promise.reject(new PlayerError(`Snapcast server ${this.host}:${this.port} is not connected`));
    }
    return this.rpc.call<T>(method, params, (line) => socket.write(line + '\r\n'));
  }

  private async resync(socket: Socket): Promise<void> {
    const status = await this.call<{ server: SnapServer }>('Server.GetStatus', undefined, socket);
    if (this.socket !== socket) return;
    this.applyServer(status.server);
    this.synced = true;
    this.connectionUp({ ...this.current, state: this.playback() });
  }

  private applyServer(server: SnapServer): void {
    this.streams = new Map(server.streams.map((s) => [s.id, s.status]));
    this.found = false;
    for (const group of server.groups) {
      const client = group.clients.find((c) => c.id === this.clientId);
      if (!client) continue;
      this.found = true;
      this.groupId = group.id;
      this.streamId = group.stream_id;
      this.clientConnected = client.connected;
      this.update({ volume: client.config.volume.percent, mute: client.config.volume.muted });
    }
    if (!this.found) this.update({ volume: null, mute: null });
  }

  private playback(): PlaybackState {
    if (!this.found) return 'unknown';
    if (!this.clientConnected) return 'stopped';
    const status = this.streamId ? this.streams.get(this.streamId) : undefined;
    return status === 'playing' ? 'playing' : status === 'idle' ? 'stopped' : 'unknown';
  }

  private onLine(line: string, socket: Socket): void {
    let parsed: SnapMessage | SnapMessage[];
    try {
      parsed = JSON.parse(line) as SnapMessage | SnapMessage[];
    } catch {
      return;
    }
    for (const msg of Array.isArray(parsed) ? parsed : [parsed]) {
      if (this.rpc.settle(msg) || !msg.method || !this.synced) continue;
      this.onNotification(msg.method, msg.params ?? {}, socket);
    }
  }

  private onNotification(method: string, p: Record<string, unknown>, socket: Socket): void {
    const ours = p.id === this.clientId;
    switch (method) {
      case 'Client.OnVolumeChanged':
        if (ours) {
          const v = p.volume as SnapVolume;
          this.update({ volume: v.percent, mute: v.muted });
        }
        break;
      case 'Client.OnConnect':
        // A client seen for the first time gets a new group: read the whole picture again.
        if (ours) this.resync(socket).catch((err: Error) => this.opts.onError?.(err));
        break;
      case 'Client.OnDisconnect':
        if (ours) this.clientConnected = false;
        break;
      case 'Stream.OnUpdate': {
        const stream = p.stream as SnapStream | undefined;
        if (stream) this.streams.set(stream.id, stream.status);
        break;
      }
      case 'Group.OnStreamChanged':
        if (p.id === this.groupId) this.streamId = p.stream_id as string;
        break;
      case 'Server.OnUpdate':
        this.applyServer(p.server as SnapServer);
        break;
      default:
        return;
    }
    this.update({ state: this.playback() });
  }
}
