// The pair the memory and idle CPU benchmarks compare: the compiled firmware on the sim board and
// a bare mqtt.js client publishing once a second, both started with the unit's node flags, on one
// mosquitto of their own. On request a second bare client, the same but for mqtt.js's
// `writeCache: false` (as the box's link sets it): the reference for what the box holds beyond
// mqtt.js itself once neither keeps mqtt-packet's 6.5 MB number cache.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mosquitto } from '../test/helpers/mosquitto.js';

const ROOT = join(import.meta.dirname, '..');

/** The node options of the unit's ExecStart line (between `node` and the script). */
export function unitNodeFlags(): string[] {
  const unit = readFileSync(join(ROOT, 'rootfs-overlay', 'etc', 'systemd', 'system', 'roombox.service'), 'utf8');
  const exec = /^ExecStart=(?:.*\s)?\S*\/node((?:\s+--\S+)*)\s/m.exec(unit);
  return exec ? exec[1]!.trim().split(/\s+/).filter(Boolean) : [];
}

export interface BoxAndBare {
  box: ChildProcess;
  bare: ChildProcess;
  /** The bare client with writeCache: false, when asked for. */
  leanBare?: ChildProcess;
  /** Stops both processes and the broker, and removes the data directory. */
  stop(): Promise<void>;
}

/** Starts the pair; `env` adds to the box's environment (its id, data dir and quiet console are set). */
export async function startBoxAndBare(id: string, env: Record<string, string> = {}, opts: { leanBare?: boolean } = {}): Promise<BoxAndBare> {
  const broker = await new Mosquitto().start();
  const dir = mkdtempSync(join(tmpdir(), `roombox-bench-${id}-`));
  /** A bare mqtt.js client publishing once a second; `options` adds to its connect options. */
  const startBare = (name: string, options: string) => {
    const file = join(dir, `${name}.mjs`);
    writeFileSync(
      file,
      `import mqtt from ${JSON.stringify(join(ROOT, 'node_modules', 'mqtt', 'build', 'index.js'))};\nconst c = mqtt.connect(process.env.URL${options});\nc.on('connect', () => setInterval(() => c.publish('bare/telemetry', JSON.stringify({ t: Date.now() }), { qos: 1 }), 1000));\n`,
    );
    return spawn(process.execPath, [...unitNodeFlags(), file], { env: { ...process.env, URL: broker.url }, stdio: 'ignore' });
  };
  const box = spawn(process.execPath, [...unitNodeFlags(), join(ROOT, 'dist', 'firmware', 'main.js')], {
    cwd: ROOT,
    env: { ...process.env, ROOMBOX_MQTT_URL: broker.url, ROOMBOX_ID: id, ROOMBOX_DATA_DIR: join(dir, 'data'), ROOMBOX_CONSOLE: 'off', ROOMBOX_LOG_LEVEL: 'warn', ...env },
    stdio: 'ignore',
  });
  const bare = startBare('bare', '');
  const leanBare = opts.leanBare ? startBare('lean-bare', ', { writeCache: false }') : undefined;
  const bares = [bare, ...(leanBare ? [leanBare] : [])];
  return {
    box,
    bare,
    leanBare,
    async stop() {
      box.kill('SIGTERM');
      for (const b of bares) b.kill('SIGKILL');
      await Promise.all([box, ...bares].map((p) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r)))));
      await broker.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
