import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { waitForPort } from './mosquitto.js';

/**
 * A real OpenSSH server on 127.0.0.1 for the test alone: its own port, host key, client key and
 * authorized_keys; no system service. stop() and start() again keep port and host key, as a
 * server that goes away and comes back would.
 */
export class Sshd {
  readonly dir = mkdtempSync(join(tmpdir(), 'roombox-sshd-'));
  readonly clientKey = join(this.dir, 'client_key');
  readonly remoteDir = join(this.dir, 'remote');
  port = 0;
  private proc?: ChildProcess;
  log = '';

  async start(): Promise<this> {
    if (!this.port) {
      this.port = await freePort();
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(this.dir, 'host_key')]);
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', this.clientKey]);
      writeFileSync(join(this.dir, 'authorized_keys'), readFileSync(`${this.clientKey}.pub`));
      mkdirSync(this.remoteDir);
      writeFileSync(
        join(this.dir, 'sshd_config'),
        [
          `Port ${this.port}`,
          'ListenAddress 127.0.0.1',
          `HostKey ${join(this.dir, 'host_key')}`,
          `AuthorizedKeysFile ${join(this.dir, 'authorized_keys')}`,
          `PidFile ${join(this.dir, 'sshd.pid')}`,
          'StrictModes no',
          'UsePAM no',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'PermitRootLogin prohibit-password',
          'Subsystem sftp internal-sftp',
          '',
        ].join('\n'),
      );
      // sshd's privilege separation directory (made by the service unit when there is one).
      mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    }
    const proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(this.dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    let exited: string | undefined;
    proc.stderr!.on('data', (d) => (this.log = (this.log + d).slice(-4000)));
    proc.once('exit', (code, signal) => (exited = `sshd exited (${code ?? signal}): ${this.log}`));
    await waitForPort(this.port, 10_000, () => exited);
    return this;
  }

  /** The server goes away: the listener and every open session. */
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode) return;
    const gone = new Promise((r) => p.once('exit', r));
    // Each session runs in a child of the listener: end those first (children of our pid only).
    try {
      execFileSync('pkill', ['-TERM', '-P', String(p.pid)]);
    } catch {
      /* no session open */
    }
    p.kill('SIGTERM');
    await gone;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
