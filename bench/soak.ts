// `npm run soak`: the compiled firmware on the sim board for SOAK_S seconds (default one hour)
// under steady load (telemetry every second, a volume command every second, a kitchen power
// toggle every 10 s, a 10 s broker outage every 5 minutes), then checks what a user would:
// the box is still up, every seq arrived in order, and RSS did not grow. Exit 1 on a failure.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mosquitto } from '../test/helpers/mosquitto.js';
import { MqttProbe } from '../test/helpers/mqtt-probe.js';
import { TcpProxy } from '../test/helpers/tcp-proxy.js';
import { rssMb } from './memory.js';
import { spawnBox } from './roundtrip.js';
import { round } from './stats.js';

const SECONDS = Number(process.env.SOAK_S ?? 3600);
/** RSS growth allowed between the second quarter and the last quarter of the run. */
const GROWTH_LIMIT_MB = Number(process.env.SOAK_GROWTH_MB ?? 5);
const P = 'roombox/soakbox';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

const broker = await new Mosquitto().start();
const proxy = await new TcpProxy(broker.port).start();
const dir = mkdtempSync(join(tmpdir(), 'roombox-soak-'));
const probe = await MqttProbe.connect(broker.url, [`${P}/status`]);
const seqs: number[] = [];
probe.client.on('message', (t, p) => {
  if (/\/(event|telemetry)$/.test(t)) seqs.push((JSON.parse(p.toString()) as { seq: number }).seq);
});
await probe.client.subscribeAsync([`${P}/event`, `${P}/telemetry`], { qos: 1 });
const box = spawnBox(proxy.url, 'soakbox', dir, { ROOMBOX_TELEMETRY_S: '1' });
const failures: string[] = [];
const samples: { t: number; mb: number }[] = [];
try {
  await probe.waitFor((m) => m.topic === `${P}/status` && m.payload === 'online', 60_000, 'online');
  const t0 = Date.now();
  let tick = 0;
  while (Date.now() - t0 < SECONDS * 1000) {
    tick++;
    await probe.publish(`${P}/zone/living/volume/set`, String(20 + (tick % 30)));
    if (tick % 10 === 0) await probe.publish(`${P}/zone/kitchen/power/set`, tick % 20 === 0 ? 'on' : 'off');
    if (tick % 300 === 150) proxy.down();
    if (tick % 300 === 160) proxy.up();
    if (tick % 30 === 0) {
      samples.push({ t: Math.round((Date.now() - t0) / 1000), mb: round(rssMb(box.pid!), 1) });
      console.log(`[soak] ${samples.at(-1)!.t} s: RSS ${samples.at(-1)!.mb} MB, ${seqs.length} messages`);
    }
    if (box.exitCode !== null) throw new Error(`the box exited (${box.exitCode})`);
    await sleep(1000);
  }
  proxy.up();
  await sleep(15_000);
  const unique = [...new Set(seqs)];
  if (unique.some((s, i) => i > 0 && s <= unique[i - 1]!)) failures.push('seq out of order');
  if (unique[0] !== 1 || unique.at(-1) !== unique.length) failures.push(`gaps: ${unique.length} distinct seqs up to ${unique.at(-1)}`);
  const q = Math.floor(samples.length / 4);
  const growth = mean(samples.slice(-q).map((s) => s.mb)) - mean(samples.slice(q, 2 * q).map((s) => s.mb));
  console.log(`\nsoak ${SECONDS} s: ${unique.length} events and telemetry, all in seq order: ${failures.length === 0}`);
  console.log(`RSS (MB) every 30 s: ${samples.map((s) => s.mb).join(' ')}`);
  console.log(`RSS growth, second quarter to last quarter: ${round(growth, 1)} MB (limit ${GROWTH_LIMIT_MB} MB); peak ${Math.max(...samples.map((s) => s.mb))} MB`);
  if (q > 0 && growth > GROWTH_LIMIT_MB) failures.push(`RSS grew ${round(growth, 1)} MB`);
} catch (err) {
  failures.push((err as Error).message);
} finally {
  box.kill('SIGTERM');
  await new Promise((r) => box.once('exit', r));
  await probe.close();
  await proxy.stop();
  await broker.dispose();
  rmSync(dir, { recursive: true, force: true });
}
console.log(failures.length ? `SOAK FAILED: ${failures.join('; ')}` : 'SOAK PASSED');
process.exit(failures.length ? 1 : 0);
