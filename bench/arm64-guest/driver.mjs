// Runs inside the arm64 VM of bench/arm64.ts (as roombox-bench.service, with roombox.service
// masked): starts the box as its systemd unit would (the unit's node flags, Environment= lines
// and roombox.env, as user roombox) and the bare mqtt.js client beside it, both against the
// broker on the host, and publishes what it measured there. Settings come from the kernel
// command line: roombox_bench.broker=<url> .runs=<n> .rss_s=<seconds> .tag=<name>.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, chownSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const BUNDLE = '/opt/roombox';
const mqtt = createRequire(`${BUNDLE}/package.json`)('mqtt');
const args = Object.fromEntries(
  readFileSync('/proc/cmdline', 'utf8')
    .trim()
    .split(/\s+/)
    .filter((a) => a.startsWith('roombox_bench.'))
    .map((a) => [a.slice('roombox_bench.'.length).split('=')[0], a.slice(a.indexOf('=') + 1)]),
);
const broker = args.broker;
const runs = Number(args.runs ?? 5);
const rssSeconds = Number(args.rss_s ?? 300);
const tag = args.tag ?? 'vm';
const log = (msg) => console.log(`roombox-bench: ${msg}`);

/** The unit as installed: node flags and script of ExecStart, its Environment= lines. */
function unitInvocation() {
  const file = ['/etc/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'].map((d) => `${d}/roombox.service`).find((f) => existsSync(f));
  if (!file) throw new Error('roombox.service not found in the image');
  const unit = readFileSync(file, 'utf8');
  const exec = /^ExecStart=(?:.*\s)?(\S*\/node)((?:\s+--\S+)*)\s+(\S+)(.*)$/m.exec(unit);
  if (!exec) throw new Error(`no node in ExecStart of ${file}`);
  const env = {};
  for (const m of unit.matchAll(/^Environment=(\S+?)=(.*)$/gm)) env[m[1]] = m[2];
  for (const m of unit.matchAll(/^EnvironmentFile=-?(\S+)$/gm)) {
    if (!existsSync(m[1])) continue;
    for (const line of readFileSync(m[1], 'utf8').split('\n')) {
      const kv = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
      if (kv) env[kv[1]] = kv[2];
    }
  }
  return { node: exec[1], flags: exec[2].trim().split(/\s+/).filter(Boolean), script: exec[3], scriptArgs: exec[4].trim().split(/\s+/).filter(Boolean), env };
}

const unit = unitInvocation();
const uid = Number(execFileSync('id', ['-u', 'roombox']).toString());
const gid = Number(execFileSync('id', ['-g', 'roombox']).toString());
const dataDir = '/var/lib/roombox-bench';
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir);
chownSync(dataDir, uid, gid);

const boxEnv = (extra) => ({ ...unit.env, ROOMBOX_ID: 'arm64box', ROOMBOX_MQTT_URL: broker, ROOMBOX_DATA_DIR: dataDir, ...extra });
const startBox = (extra = {}) =>
  spawn(unit.node, [...unit.flags, unit.script, ...unit.scriptArgs], { cwd: dataDir, uid, gid, env: { PATH: '/usr/bin:/bin', ...boxEnv(extra) }, stdio: 'ignore' });
const startBare = () =>
  spawn(unit.node, [...unit.flags, '/usr/local/lib/roombox-bench/bare.mjs'], { cwd: dataDir, uid, gid, env: { PATH: '/usr/bin:/bin', URL: broker, ID: 'arm64bare' }, stdio: 'ignore' });

function stop(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill(signal);
  });
}

/** Milliseconds from spawning to the retained `online` of `id` reaching a fresh subscriber. */
async function timeToOnline(id, start) {
  const sub = await mqtt.connectAsync(broker);
  const topic = `roombox/${id}/status`;
  await sub.publishAsync(topic, '', { retain: true, qos: 1 });
  await sub.subscribeAsync(topic, { qos: 1 });
  const t0 = performance.now();
  const child = start();
  try {
    const ms = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${id}: no online within 300 s`)), 300_000);
      child.once('exit', (code, sig) => reject(new Error(`${id} exited (${code ?? sig}) before online`)));
      sub.on('message', (_t, payload) => {
        if (payload.toString() === 'online') {
          clearTimeout(timer);
          resolve(performance.now() - t0);
        }
      });
    });
    // The retained copy, as a new subscriber would get it.
    const check = await mqtt.connectAsync(broker);
    const retained = await new Promise((resolve) => {
      check.on('message', (_t, p) => resolve(p.toString()));
      check.subscribe(topic, { qos: 1 });
    });
    await check.endAsync();
    if (retained !== 'online') throw new Error(`${id}: status not retained as online (${retained})`);
    return { ms, child };
  } finally {
    await sub.endAsync();
  }
}

/** /proc/meminfo in MB, and the line `free -m` would print (a minimal Debian has no procps). */
function meminfo() {
  const text = readFileSync('/proc/meminfo', 'utf8');
  const mb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1]) / 1024;
  const [total, free, available] = [mb('MemTotal'), mb('MemFree'), mb('MemAvailable')];
  const cache = mb('Buffers') + mb('Cached') + mb('SReclaimable');
  const r = Math.round;
  return { totalMb: total, availableMb: available, free: `Mem: total ${r(total)} used ${r(total - free - cache)} free ${r(free)} buff/cache ${r(cache)} available ${r(available)} (MB)` };
}
const rssMb = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

/** The first connection waits for the network (DHCP through qemu's user networking). */
async function connectWhenUp() {
  for (let i = 0; ; i++) {
    try {
      return await mqtt.connectAsync(broker, { reconnectPeriod: 0, connectTimeout: 10_000 });
    } catch (err) {
      if (i >= 60) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

const result = { tag, node: process.version, flags: unit.flags, console: unit.env.ROOMBOX_CONSOLE, runs, boot: meminfo() };
const report = await connectWhenUp();
const progress = (msg) => {
  log(msg);
  report.publish(`roombox-arm64-bench/${tag}/progress`, msg);
};
try {
  progress(`node ${process.version}, unit flags ${unit.flags.join(' ')}; ${runs} start-up runs after one warm-up, then ${rssSeconds} s of RSS`);
  // Start-up: bare client and box alternately, the first pair a warm-up (page cache, the box's
  // database created and migrated); later starts open the existing database, as a box does
  // on every boot after its first.
  result.bareMs = [];
  result.boxMs = [];
  for (let i = 0; i <= runs; i++) {
    const bare = await timeToOnline('arm64bare', startBare);
    await stop(bare.child, 'SIGKILL');
    const box = await timeToOnline('arm64box', () => startBox({ ROOMBOX_TELEMETRY_S: '60' }));
    await stop(box.child, 'SIGTERM');
    if (i > 0) {
      result.bareMs.push(Math.round(bare.ms));
      result.boxMs.push(Math.round(box.ms));
    }
    progress(`start-up ${i === 0 ? 'warm-up' : `run ${i}/${runs}`}: bare ${Math.round(bare.ms)} ms, box ${Math.round(box.ms)} ms`);
  }

  // Memory: both running side by side on the sim board (both zones, the input metered at 10
  // level reports a second, telemetry every 5 s; the bare client publishes once a second).
  result.idle = meminfo();
  const box = await timeToOnline('arm64box', () => startBox({ ROOMBOX_TELEMETRY_S: '5' }));
  const bare = await timeToOnline('arm64bare', startBare);
  result.rssSamples = [];
  let minAvailable = Infinity;
  for (let t = 10; t <= rssSeconds; t += 10) {
    await new Promise((r) => setTimeout(r, 10_000));
    if (box.child.exitCode !== null || box.child.signalCode !== null) throw new Error(`the box exited during the RSS run (${box.child.exitCode ?? box.child.signalCode})`);
    const sample = { t, box: Math.round(rssMb(box.child.pid) * 10) / 10, bare: Math.round(rssMb(bare.child.pid) * 10) / 10, available: Math.round(meminfo().availableMb) };
    minAvailable = Math.min(minAvailable, sample.available);
    result.rssSamples.push(sample);
    if (t % 60 === 0) progress(`RSS at ${t} s: box ${sample.box} MB, bare ${sample.bare} MB, available ${sample.available} MB`);
  }
  result.running = meminfo();
  result.minAvailableMb = minAvailable;
  await stop(bare.child, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 3000));
  result.boxOnly = { ...meminfo(), box: Math.round(rssMb(box.child.pid) * 10) / 10 };
  await stop(box.child, 'SIGTERM');
  result.ok = true;
} catch (err) {
  result.ok = false;
  result.error = String(err?.stack ?? err);
  log(`failed: ${result.error}`);
}
await report.publishAsync(`roombox-arm64-bench/${tag}/result`, JSON.stringify(result), { retain: true, qos: 1 });
await report.endAsync();
log('done');
execFileSync('systemctl', ['poweroff', '--no-block']);
