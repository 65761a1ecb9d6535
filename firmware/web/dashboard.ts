import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { ConfigError, EXIT_CONFIG } from '../config/config.js';
import { loadConfig, maskUrl } from '../config/load.js';
import { createLogger } from '../core/logger.js';
import { DashboardFeed } from './dashboard-feed.js';
import { systemdSocketFd } from './listen.js';
import { WebServer } from './server.js';

/** Pages of a dashboard get their messages in batches at most this often. */
const DASHBOARD_BATCH_MS = 100;

/**
 * `roombox dashboard`: one page for every box on the broker (ROOMBOX_MQTT_URL), served on
 * ROOMBOX_HTTP with the same UI, password and rules as a box's own page. Runs until SIGTERM.
 */
export async function runDashboard(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let config;
  try {
    config = loadConfig(env, { stdinIsTTY: false }).config;
    if (config.mqtt.url === undefined) throw new ConfigError(['ROOMBOX_MQTT_URL is required for the dashboard: the broker the boxes report to']);
    if (config.http === undefined && systemdSocketFd(env) === undefined) throw new ConfigError(['ROOMBOX_HTTP=off leaves the dashboard nothing to serve']);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) process.stderr.write(`roombox dashboard: ${p}\n`);
    return EXIT_CONFIG;
  }
  const { logger: log } = createLogger(config.logLevel);
  const m = config.mqtt;
  const client = await mqtt
    .connectAsync(m.url!, {
      protocolVersion: m.version,
      clientId: `roombox-dashboard-${Math.random().toString(36).slice(2, 10)}`,
      username: m.username,
      password: m.password,
      ca: m.caFile ? readFileSync(m.caFile) : undefined,
      cert: m.certFile ? readFileSync(m.certFile) : undefined,
      key: m.keyFile ? readFileSync(m.keyFile) : undefined,
      reconnectPeriod: 2000,
    })
    .catch((err: Error) => {
      process.stderr.write(`roombox dashboard: cannot connect to ${maskUrl(m.url!)}: ${err.message}\n`);
      return undefined;
    });
  if (!client) return 1;
  client.on('error', (err) => log.warn({ err: err.message }, 'broker error'));
  const feed = new DashboardFeed(client, config.topicPrefix, config.haPrefix);
  await feed.start();
  const fd = systemdSocketFd(env);
  const server = new WebServer({ feed, target: fd !== undefined ? { fd } : config.http!, passwordHash: config.httpPasswordHash, log, batchMs: DASHBOARD_BATCH_MS });
  await server.start();
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  feed.stop();
  await server.stop();
  await client.endAsync();
  return 0;
}
