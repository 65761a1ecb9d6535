import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { RestartReason } from '../api/box.js';
import type { Extension } from '../core/extension.js';
import type { Logger } from '../core/logger.js';

/** What the data directory remembers of the runs: how many there were, and how the last one ended. */
interface Record {
  boot_count: number;
  last_exit: 'running' | 'clean stop' | 'crash';
  /** Runs in a row that did not end cleanly, counting the previous one (safe mode counts on it). */
  unclean_starts?: number;
}

export const RUN_FILE = 'run-state.json';
/** Written by the unit's ExecStopPost= with systemd's $SERVICE_RESULT $EXIT_CODE $EXIT_STATUS. */
export const SYSTEMD_EXIT_FILE = 'last-exit';

/**
 * Why the box restarted, from what it can know at start: its own record of how the last run
 * ended (written at a clean stop, or on the way out of a crash), and systemd's verdict where the
 * unit passed it (a watchdog kill leaves no chance to write anything). A run that left neither
 * ended in a power loss or a kill: `power loss or unknown`.
 */
export class RunRecord implements Extension {
  readonly name = 'run-record';
  reason: RestartReason = 'first start';
  bootCount = 1;
  /**
   * Starts in a row after a run that did not end cleanly (crash, kill, watchdog, power loss);
   * 0 after a clean stop, and again once this run has been clean long enough (`resetUncleanStarts`).
   */
  uncleanStarts = 0;
  /** Set before stop: 0 is a clean stop, anything else a crash. */
  exitCode = 0;

  constructor(
    private readonly dataDir: string,
    private readonly log: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  start(): void {
    const previous = this.read();
    const systemd = this.systemdVerdict();
    if (!previous) this.reason = 'first start';
    else if (previous.last_exit !== 'running') this.reason = previous.last_exit;
    else if (systemd === 'watchdog') this.reason = 'watchdog';
    else this.reason = 'power loss or unknown';
    this.bootCount = (previous?.boot_count ?? 0) + 1;
    const unclean = previous !== undefined && previous.last_exit !== 'clean stop';
    this.uncleanStarts = unclean ? (typeof previous.unclean_starts === 'number' ? previous.unclean_starts : 0) + 1 : 0;
    this.write({ boot_count: this.bootCount, last_exit: 'running', unclean_starts: this.uncleanStarts });
    this.log.info({ restart_reason: this.reason, boot_count: this.bootCount, unclean_starts: this.uncleanStarts }, 'run recorded');
  }

  /** This run has been clean long enough, or safe mode was ended by hand: a crash from now on counts from 1. */
  resetUncleanStarts(): void {
    this.uncleanStarts = 0;
    this.write({ boot_count: this.bootCount, last_exit: 'running', unclean_starts: 0 });
  }

  stop(): void {
    this.write({ boot_count: this.bootCount, last_exit: this.exitCode === 0 ? 'clean stop' : 'crash', unclean_starts: this.uncleanStarts });
  }

  private read(): Record | undefined {
    try {
      const r = JSON.parse(readFileSync(join(this.dataDir, RUN_FILE), 'utf8')) as Partial<Record>;
      if (typeof r.boot_count !== 'number' || !['running', 'clean stop', 'crash'].includes(String(r.last_exit))) return undefined;
      return r as Record;
    } catch {
      return undefined;
    }
  }

  /** systemd's result of the last run: from the environment, or the file the unit's ExecStopPost= left. */
  private systemdVerdict(): string | undefined {
    const file = join(this.dataDir, SYSTEMD_EXIT_FILE);
    let words = [this.env.SERVICE_RESULT, this.env.EXIT_STATUS].filter((w): w is string => !!w);
    try {
      words = [...words, ...readFileSync(file, 'utf8').trim().split(/\s+/)];
      rmSync(file, { force: true });
    } catch {
      /* no file: not under systemd, or the unit does not pass it */
    }
    return words.includes('watchdog') ? 'watchdog' : words[0];
  }

  private write(r: Record): void {
    try {
      mkdirSync(this.dataDir, { recursive: true });
      const file = join(this.dataDir, RUN_FILE);
      const tmp = `${file}.tmp`;
      writeFileSync(tmp, JSON.stringify(r));
      const fd = openSync(tmp, 'r');
      fsyncSync(fd);
      closeSync(fd);
      renameSync(tmp, file);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not record the run');
    }
  }
}
