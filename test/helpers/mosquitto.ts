import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnChild } from './children.js';
import { freePort } from './ports.js';

export interface MosquittoOptions {
  /** Extra lines for the listener (TLS, auth). */
  extraConfig?: string[];
  port?: number;
}

/** A real mosquitto on a free loopback port, with TCP_NODELAY, no persistence. */
export class Mosquitto {
  private proc?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'roombox-mosq-'));
  port = 0;
  log = '';

  constructor(private readonly opts: MosquittoOptions = {}) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (!this.port) this.port = this.opts.port ?? (await freePort());
    const conf = join(this.dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      [
        'persistence false',
        // As root, mosquitto would drop to user 'mosquitto', who cannot read our 0700 temp dirs.
        ...(process.getuid?.() === 0 ? ['user root'] : []),
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        // Tests read every message: no dropping for a subscriber that falls behind on a busy machine.
        'max_queued_messages 0',
        `listener ${this.port} 127.0.0.1`,
        'set_tcp_nodelay true',
        ...(this.opts.extraConfig ?? ['allow_anonymous true']),
        '',
      ].join('\n'),
    );
    this.proc = spawnChild('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr!.on('data', (d) => (this.log += d));
    await waitForPort(this.port, 5000, () => this.proc?.exitCode !== null ? `mosquitto exited: ${this.log}` : undefined);
    return this;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
  }

  async restart(downMs = 0): Promise<void> {
    await this.stop();
    if (downMs) await new Promise((r) => setTimeout(r, downMs));
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function waitForPort(port: number, timeoutMs: number, failed?: () => string | undefined): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const why = failed?.();
    if (why) throw new Error(why);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
