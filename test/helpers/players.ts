import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Player, PlayerState } from '../../firmware/players/index.js';
import { spawnChild } from './children.js';
import { waitForPort } from './mosquitto.js';
import { freePort } from './ports.js';
import { eventually } from './wait.js';

/** Resolves once the player's state satisfies `pred` (now or on a later change). */
export function waitForState(player: Player, pred: (s: PlayerState) => boolean, timeoutMs = 20_000): Promise<PlayerState> {
  if (pred(player.current)) return Promise.resolve(player.current);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      player.off('change', onChange);
      reject(new Error(`player state never matched; last: ${JSON.stringify(player.current)}`));
    }, timeoutMs);
    const onChange = (s: PlayerState) => {
      if (!pred(s)) return;
      clearTimeout(timer);
      player.off('change', onChange);
      resolve(s);
    };
    player.on('change', onChange);
  });
}

function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => proc.once('exit', () => resolve()));
}

/**
 * A real Mopidy (Debian's 3.4): headless (fakesink in real time), software mixer, file backend over
 * a folder holding a generated tone, HTTP/WebSocket on a free loopback port. Config, cache and data
 * live in a temp dir; restart() comes back on the same port.
 */
export class MopidyServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'roombox-mopidy-'));
  readonly trackUri: string;
  port = 0;
  log = '';
  private proc?: ChildProcess;

  constructor(private readonly initialVolume = 35) {
    const media = join(this.dir, 'media');
    mkdirSync(media);
    const track = join(media, 'tone.wav');
    const sox = spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', track, 'synth', '20', 'sine', '440', 'vol', '0.1']);
    if (sox.status !== 0) throw new Error(`sox failed: ${sox.stderr}`);
    this.trackUri = `file://${track}`;
  }

  get url(): string {
    return `mopidy://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (!this.port) this.port = await freePort();
    const d = (n: string) => join(this.dir, n);
    const conf = d('mopidy.conf');
    writeFileSync(
      conf,
      [
        '[core]',
        `cache_dir = ${d('cache')}`,
        `config_dir = ${d('config')}`,
        `data_dir = ${d('data')}`,
        '[logging]',
        'verbosity = 0',
        '[audio]',
        'output = fakesink sync=true',
        'mixer = software',
        `mixer_volume = ${this.initialVolume}`,
        '[http]',
        'enabled = true',
        'hostname = 127.0.0.1',
        `port = ${this.port}`,
        'zeroconf =',
        '[stream]',
        'enabled = false',
        '[m3u]',
        'enabled = false',
        '[file]',
        'enabled = true',
        `media_dirs = ${d('media')}|Test`,
        'follow_symlinks = false',
        '',
      ].join('\n'),
    );
    const env = { ...process.env, HOME: this.dir, XDG_CONFIG_HOME: d('config'), XDG_CACHE_HOME: d('cache'), XDG_DATA_HOME: d('data') };
    const proc = spawnChild('mopidy', ['--config', conf], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stdout!.on('data', (b) => (this.log += b));
    proc.stderr!.on('data', (b) => (this.log += b));
    await eventually(
      async () => {
        if (proc.exitCode !== null) throw Object.assign(new Error(`mopidy exited: ${this.log}`), { fatal: true });
        await this.rpc('core.playback.get_state');
      },
      { timeoutMs: 30_000, what: `mopidy answering (${this.log.slice(-500)})`, retryMs: 200, giveUp: (err) => (err as { fatal?: boolean }).fatal === true },
    );
    return this;
  }

  /** A JSON-RPC call over HTTP, as a phone app would make it. */
  async rpc<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T> {
    const res = await fetch(`http://127.0.0.1:${this.port}/mopidy/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, ...(params ? { params } : {}) }),
    });
    const body = (await res.json()) as { result?: T; error?: unknown };
    if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
    return body.result as T;
  }

  /** Queues the tone (repeating) and plays it. */
  async play(): Promise<void> {
    if ((await this.rpc<number>('core.tracklist.get_length')) === 0) await this.rpc('core.tracklist.add', { uris: [this.trackUri] });
    await this.rpc('core.tracklist.set_repeat', { value: true });
    await this.rpc('core.playback.play');
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p) return;
    p.kill(signal);
    await exited(p);
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A real snapserver (Debian's 0.26) with one pipe source it creates, on free loopback ports, with
 * a fresh datadir; feed() writes a tone into the pipe so the stream plays, stopFeed() lets it go idle.
 */
export class SnapServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'roombox-snap-'));
  readonly fifo = join(this.dir, 'room.fifo');
  controlPort = 0;
  streamPort = 0;
  log = '';
  private proc?: ChildProcess;
  private feeder?: ChildProcess;
  private clients: ChildProcess[] = [];

  async start(): Promise<this> {
    if (!this.controlPort) this.controlPort = await freePort();
    if (!this.streamPort) this.streamPort = await freePort();
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    const proc = spawnChild(
      'snapserver',
      [
        '-c', '/dev/null',
        `--server.datadir=${join(this.dir, 'data')}`,
        '--http.enabled=false',
        `--tcp.port=${this.controlPort}`,
        '--tcp.bind_to_address=127.0.0.1',
        `--stream.port=${this.streamPort}`,
        '--stream.bind_to_address=127.0.0.1',
        `--stream.source=pipe://${this.fifo}?name=room&mode=create`,
        `--stream.source=pipe://${join(this.dir, 'other.fifo')}?name=other&mode=create`,
        '--logging.sink=stderr',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.proc = proc;
    proc.stdout!.on('data', (b) => (this.log += b));
    proc.stderr!.on('data', (b) => (this.log += b));
    await waitForPort(this.controlPort, 15_000, () => (proc.exitCode !== null ? `snapserver exited: ${this.log}` : undefined));
    return this;
  }

  playerUrl(clientId: string): string {
    return `snapcast://127.0.0.1:${this.controlPort}/${clientId}`;
  }

  /** Starts a snapclient writing its audio to a file, identified by hostID. */
  startClient(hostId: string): ChildProcess {
    const out = join(this.dir, `${hostId}.raw`);
    const c = spawnChild('snapclient', ['-h', '127.0.0.1', '-p', String(this.streamPort), '--hostID', hostId, '--player', `file:filename=${out}`, '--logsink=null'], {
      stdio: 'ignore',
    });
    this.clients.push(c);
    return c;
  }

  async stopClient(c: ChildProcess): Promise<void> {
    c.kill('SIGTERM');
    await exited(c);
  }

  /** Writes a 48 kHz stereo tone into the pipe source until stopFeed(). */
  feed(): void {
    if (this.feeder) return;
    this.feeder = spawnChild('sh', ['-c', 'exec sox -n -t raw -r 48000 -b 16 -c 2 -e signed - synth 120 sine 440 vol 0.1 > "$0"', this.fifo], { stdio: 'ignore' });
  }

  async stopFeed(): Promise<void> {
    const f = this.feeder;
    this.feeder = undefined;
    if (!f) return;
    f.kill('SIGKILL');
    await exited(f);
  }

  /** One JSON-RPC call on its own control connection, as a phone app would make it. */
  rpc<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T> {
    return new Promise((resolve, reject) => {
      const s = connect(this.controlPort, '127.0.0.1');
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`${method}: no reply`));
      }, 10_000);
      s.once('error', reject);
      createInterface({ input: s }).on('error', () => {}).on('line', (line) => {
        const msg = JSON.parse(line) as { id?: number; result?: T; error?: unknown };
        if (msg.id !== 7) return;
        clearTimeout(timer);
        s.destroy();
        if (msg.error) reject(new Error(`${method}: ${JSON.stringify(msg.error)}`));
        else resolve(msg.result as T);
      });
      s.write(JSON.stringify({ jsonrpc: '2.0', id: 7, method, ...(params ? { params } : {}) }) + '\r\n');
    });
  }

  /** Kills the server (the datadir stays, so clients' volumes survive a restart with start()). */
  async kill(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p) return;
    p.kill('SIGKILL');
    await exited(p);
  }

  async dispose(): Promise<void> {
    await this.stopFeed();
    for (const c of this.clients) {
      c.kill('SIGKILL');
      await exited(c);
    }
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
