#!/usr/bin/env node
import { App } from './app.js';
import { loadProfile } from './board/load-profile.js';
import { ConfigError, EXIT_CONFIG } from './config/config.js';
import { loadConfig } from './config/load.js';
import { createLogger, LogRing } from './core/logger.js';

/** Exit codes (docs/mqtt.md): 0 clean stop, 78 bad configuration, 1 anything else. */
async function run(): Promise<void> {
  let app: App | undefined;
  let stopping = false;
  const ring = new LogRing();
  let log: ReturnType<typeof createLogger>['logger'] | undefined;

  const exit = async (code: number) => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => process.exit(code === 0 ? 1 : code), 10_000);
    timer.unref();
    try {
      await app?.stop(code);
    } catch (err) {
      log?.error({ err: (err as Error).message }, 'stop failed');
      code = code === 0 ? 1 : code;
    }
    log?.info({ code }, 'stopped');
    process.exitCode = code;
    setImmediate(() => process.exit(code));
  };

  try {
    const { config, warnings } = loadConfig(process.env, { stdinIsTTY: process.stdin.isTTY === true });
    const profile = loadProfile(config.board);
    log = createLogger(config.logLevel, ring).logger;
    for (const w of warnings) log.warn({}, w);
    for (const zone of Object.keys(config.zones)) {
      if (!profile.zones.some((z) => z.name === zone)) log.warn({ zone }, `ROOMBOX_ZONE_${zone.toUpperCase()}_* set, but board '${profile.name}' has no zone '${zone}'`);
    }
    app = new App({ config, profile, logger: log, logRing: ring, requestExit: (code) => void exit(code) });
    process.on('SIGTERM', () => void exit(0));
    process.on('SIGINT', () => void exit(0));
    process.on('uncaughtException', (err) => {
      log?.fatal({ err: err.message, stack: err.stack }, 'unexpected error');
      void exit(1);
    });
    process.on('unhandledRejection', (err) => {
      log?.fatal({ err: (err as Error)?.message ?? String(err) }, 'unhandled rejection');
      void exit(1);
    });
    await app.start();
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) process.stderr.write(`roombox: ${p}\n`);
      try {
        await app?.stop();
      } catch {
        /* already failing */
      }
      process.exit(EXIT_CONFIG);
    }
    process.stderr.write(`roombox: ${(err as Error).message}\n`);
    log?.fatal({ err: (err as Error).message }, 'start failed');
    await exit(1);
  }
}

const USAGE = [
  'usage: roombox [run]                        the box',
  '       roombox console <device> [--baud N]  a serial console on a laptop',
  '       roombox passwd                       the line for ROOMBOX_HTTP_PASSWORD_FILE (password on stdin)',
  '       roombox dashboard                    one page for every box on ROOMBOX_MQTT_URL',
  '       roombox fleet-sim [--count N]        N simulated boxes on ROOMBOX_MQTT_URL',
  '       roombox loudness [--json] FILE...    EBU R128 loudness of WAV and FLAC files',
].join('\n');

const [command] = process.argv.slice(2);
if (command === undefined || command === 'run') {
  void run();
} else if (command === 'console') {
  const { attachConsole } = await import('./console/attach.js');
  process.exitCode = await attachConsole(process.argv.slice(3));
} else if (command === 'passwd') {
  const { passwd } = await import('./web/passwd.js');
  process.exitCode = await passwd();
} else if (command === 'dashboard') {
  const { runDashboard } = await import('./web/dashboard.js');
  process.exitCode = await runDashboard();
  setImmediate(() => process.exit());
} else if (command === 'fleet-sim') {
  const { runFleetSim } = await import('./sim/fleet-sim.js');
  process.exitCode = await runFleetSim(process.argv.slice(3));
} else if (command === 'loudness') {
  const { loudnessCommand } = await import('./capture/loudness/cli.js');
  process.exitCode = await loudnessCommand(process.argv.slice(3));
} else if (command === '--help' || command === 'help') {
  process.stdout.write(`${USAGE}\n`);
} else {
  process.stderr.write(`roombox: unknown command '${command}'\n${USAGE}\n`);
  process.exit(EXIT_CONFIG);
}
