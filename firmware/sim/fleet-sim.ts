import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../app.js';
import { loadProfile } from '../board/load-profile.js';
import { ConfigError, EXIT_CONFIG } from '../config/config.js';
import { loadConfig } from '../config/load.js';
import { createLogger, LogRing } from '../core/logger.js';

export interface FleetOptions {
  count: number;
  idPrefix: string;
}

export function parseFleetArgs(args: string[]): FleetOptions {
  const opts: FleetOptions = { count: 3, idPrefix: 'sim' };
  for (let i = 0; i < args.length; i++) {
    const [flag, value] = [args[i], args[i + 1]];
    if (flag === '--count' && value && /^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 5000) opts.count = Number(args[++i]);
    else if (flag === '--id-prefix' && value && /^[a-z0-9][a-z0-9-]{0,20}$/.test(value)) opts.idPrefix = args[++i]!;
    else throw new ConfigError([`bad argument '${flag}': usage: roombox fleet-sim [--count 1-5000] [--id-prefix <a-z0-9->]`]);
  }
  return opts;
}

/**
 * `roombox fleet-sim --count N`: N simulated boxes in one process, each a whole App with its own
 * id, sim board, data directory and MQTT client on ROOMBOX_MQTT_URL. For demos, tests and the
 * dashboard's scale benchmark.
 */
export async function runFleetSim(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let opts: FleetOptions;
  const width = 3;
  try {
    opts = parseFleetArgs(args);
    if (!env.ROOMBOX_MQTT_URL) throw new ConfigError(['ROOMBOX_MQTT_URL is required: the simulated boxes need a broker']);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) process.stderr.write(`roombox fleet-sim: ${p}\n`);
    return EXIT_CONFIG;
  }
  const root = mkdtempSync(join(tmpdir(), 'roombox-fleet-'));
  const base = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('ROOMBOX_')));
  const ring = new LogRing(500);
  const { logger } = createLogger((base.ROOMBOX_LOG_LEVEL as 'info') ?? 'warn', ring);
  const apps: App[] = [];
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    await Promise.allSettled(apps.map((a) => a.stop()));
    rmSync(root, { recursive: true, force: true });
  };
  process.once('SIGTERM', () => void stopAll().then(() => process.exit(0)));
  process.once('SIGINT', () => void stopAll().then(() => process.exit(0)));
  try {
    for (let i = 1; i <= opts.count && !stopping; i++) {
      const id = `${opts.idPrefix}-${String(i).padStart(width, '0')}`;
      const { config } = loadConfig(
        { ROOMBOX_LOG_LEVEL: 'warn', ...base, ROOMBOX_ID: id, ROOMBOX_BOARD: 'sim', ROOMBOX_DATA_DIR: join(root, id), ROOMBOX_CONSOLE: 'off', ROOMBOX_HTTP: 'off' },
        { stdinIsTTY: false },
      );
      const app = new App({ config, profile: loadProfile('sim'), logger: logger.child({ box: id }), logRing: ring, requestExit: () => {} });
      apps.push(app);
      await app.start();
    }
  } catch (err) {
    process.stderr.write(`roombox fleet-sim: ${(err as Error).message}\n`);
    await stopAll();
    return err instanceof ConfigError ? EXIT_CONFIG : 1;
  }
  logger.warn({ count: apps.length, ids: `${opts.idPrefix}-${'1'.padStart(width, '0')}..` }, `fleet-sim: ${apps.length} boxes started`);
  await new Promise<void>(() => {});
  return 0;
}
