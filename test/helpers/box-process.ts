import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnChild } from './children.js';
import { Changes } from './wait.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');

/**
 * The firmware as a real process (node + tsx on firmware/main.ts), with its own data dir.
 * Environment starts empty of ROOMBOX_* except what the test gives.
 */
export class BoxProcess {
  proc?: ChildProcess;
  stdout = '';
  stderr = '';
  exitCode: number | null = null;
  signal: NodeJS.Signals | null = null;
  readonly dataDir: string;
  private exited?: Promise<void>;
  private readonly output = new Changes();

  constructor(
    readonly env: Record<string, string>,
    readonly args: string[] = [],
  ) {
    this.dataDir = env.ROOMBOX_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'roombox-data-'));
  }

  start(): this {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ROOMBOX_')));
    this.stdout = '';
    this.stderr = '';
    this.exitCode = null;
    this.signal = null;
    const proc = spawnChild(process.execPath, ['--import', 'tsx', join(ROOT, 'firmware', 'main.ts'), ...this.args], {
      cwd: ROOT,
      env: { ...base, ROOMBOX_ID: 'testbox', ROOMBOX_LOG_LEVEL: 'info', ROOMBOX_CONSOLE: 'off', ROOMBOX_HTTP: 'off', ROOMBOX_DATA_DIR: this.dataDir, ...this.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc = proc;
    proc.stdout!.on('data', (d) => {
      this.stdout += d;
      this.output.changed();
    });
    proc.stderr!.on('data', (d) => (this.stderr += d));
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code, signal) => {
        this.exitCode = code;
        this.signal = signal;
        this.output.changed();
        resolve();
      }),
    );
    return this;
  }

  /** Resolves when a stdout log line matches. */
  async waitForLog(pattern: RegExp, timeoutMs = 20_000): Promise<void> {
    const gone = () => this.exitCode !== null || this.signal !== null;
    try {
      await this.output.until(() => pattern.test(this.stdout) || gone(), timeoutMs, `${pattern}`);
    } catch {
      throw new Error(`timed out waiting for ${pattern}; stdout: ${this.stdout.slice(-2000)} stderr: ${this.stderr}`);
    }
    if (!pattern.test(this.stdout)) throw new Error(`box exited (${this.exitCode ?? this.signal}) before ${pattern}: ${this.stderr}\n${this.stdout.slice(-2000)}`);
  }

  /** Sends a signal and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> {
    if (!this.proc || this.exitCode !== null || this.signal) return this.exitCode;
    this.proc.kill(signal);
    await this.waitExit(timeoutMs);
    return this.exitCode;
  }

  async waitExit(timeoutMs = 15_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise((_, rej) => (timer = setTimeout(() => rej(new Error('box did not exit')), timeoutMs)));
    try {
      await Promise.race([this.exited, late]);
    } finally {
      // A pending timer would hold the test file's process open for the whole timeout.
      clearTimeout(timer);
    }
    return this.exitCode;
  }

  /** Log lines parsed as JSON. */
  logs(): Record<string, unknown>[] {
    return this.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
  }

  async dispose(): Promise<void> {
    await this.kill('SIGKILL').catch(() => {});
    if (!this.env.ROOMBOX_DATA_DIR) rmSync(this.dataDir, { recursive: true, force: true });
  }
}
