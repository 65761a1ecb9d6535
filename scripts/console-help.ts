// The console's `help` as the sim board prints it: a box is started in this process (a temporary
// data directory; its broker link is left trying an address where nothing listens), asked, stopped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../firmware/app.js';
import { loadProfile } from '../firmware/board/load-profile.js';
import { loadConfig } from '../firmware/config/load.js';
import { createLogger, LogRing } from '../firmware/core/logger.js';

export async function consoleHelp(): Promise<string[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'roombox-help-'));
  const env = { ROOMBOX_ID: 'help', ROOMBOX_DATA_DIR: dataDir, ROOMBOX_CONSOLE: 'off', ROOMBOX_LOG_LEVEL: 'silent', ROOMBOX_MQTT_URL: 'mqtt://127.0.0.1:1' };
  const { config } = loadConfig(env, { hostname: 'help' });
  const ring = new LogRing();
  const app = new App({ config, profile: loadProfile(config.board), logger: createLogger(config.logLevel, ring, { write: () => true }).logger, logRing: ring });
  try {
    await app.start();
    return (await app.ctx.commands.execute('help', 'test')).output.split('\n');
  } finally {
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
