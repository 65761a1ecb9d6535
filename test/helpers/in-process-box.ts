import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../../firmware/app.js';
import { loadProfile } from '../../firmware/board/load-profile.js';
import { loadConfig } from '../../firmware/config/load.js';
import type { Clock } from '../../firmware/core/clock.js';
import { createLogger, LogRing } from '../../firmware/core/logger.js';
import { atFileEnd } from './file-guard.js';

export interface InProcessOptions {
  env: Record<string, string>;
  clock?: Clock;
  random?: () => number;
  /** Log lines go to the ring only (not stdout) unless true. */
  printLogs?: boolean;
  /** An existing data dir, kept after stop (default: a fresh one, removed after stop). */
  dataDir?: string;
  /** The database schema the box knows (default: this firmware's). */
  migrations?: readonly string[];
  /** The firmware version the box reports (default: package.json's). */
  version?: string;
  /** The box stopping itself (`restart`, an update's reboot) stops the App as main would; default: ignored. */
  stopOnExitRequest?: boolean;
}

/**
 * The real App in this process, for tests that need to inject a clock or randomness, or look at
 * internals (the registry, the simulated hardware) while driving it through MQTT.
 */
export async function startInProcessBox(opts: InProcessOptions): Promise<{ app: App; ring: LogRing; stop: () => Promise<void> }> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'roombox-data-'));
  const { config } = loadConfig({ ROOMBOX_ID: 'testbox', ROOMBOX_DATA_DIR: dataDir, ROOMBOX_CONSOLE: 'off', ROOMBOX_LOG_LEVEL: 'debug', ROOMBOX_HTTP: 'off', ...opts.env }, { hostname: 'test' });
  const profile = loadProfile(config.board);
  const ring = new LogRing(2000);
  const { logger } = createLogger(config.logLevel, ring, opts.printLogs ? process.stdout : { write: () => true });
  const app = new App({
    config,
    profile,
    logger,
    logRing: ring,
    clock: opts.clock,
    random: opts.random,
    migrations: opts.migrations,
    version: opts.version,
    requestExit: opts.stopOnExitRequest ? () => void stop() : undefined,
  });
  let stopped: Promise<void> | undefined;
  // Idempotent: a test's finally and the file's end may both call it.
  const stop = () =>
    (stopped ??= (async () => {
      forget();
      await app.stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    })());
  const forget = atFileEnd(stop);
  await app.start();
  return { app, ring, stop };
}
