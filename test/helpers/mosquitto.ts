import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnChild } from './children.js';
import { freePort } from './ports.js';
import { eventually } from './wait.js';

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

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Resolves once something accepts connections on the loopback port (a server that just started). */
export async function waitForPort(port: number, timeoutMs: number, failed?: () => string | undefined): Promise<void> {
  await eventually(
    async () => {
      const why = failed?.();
      if (why) throw Object.assign(new Error(why), { fatal: true });
      await new Promise<void>((resolve, reject) => {
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve();
        });
        s.once('error', () => reject(new Error(`nothing listens on ${port}`)));
      });
    },
    { timeoutMs, what: `a server on port ${port}`, giveUp: (err) => (err as { fatal?: boolean }).fatal === true },
  );
}
