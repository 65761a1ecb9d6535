// Power cuts under qemu (`npm run test:powercut`; not part of `npm test`, see docs/reliability.md).
// The release bundle boots on Debian's arm64 kernel in qemu-system-aarch64 with its data dir on
// a virtio disk (an ext4 image on the host). Telemetry flows every second, the broker is cut off
// through a proxy, and the qemu process is SIGKILLed at random moments: for the guest a power
// cut (its page cache is lost; only what reached the virtual disk remains). After each cut the
// VM boots again from the same disk. At the end the broker is back and a subscriber that stayed
// on the broker must have every seq, from 1 to the last, once or more, in order, each number
// with one content. POWERCUT_CUTS (default 6), POWERCUT_SEED, POWERCUT_BUNDLE (skip the build).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/box-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { seeded } from '../helpers/seeded.js';

const CUTS = Number(process.env.POWERCUT_CUTS ?? 6);
const SEED = Number(process.env.POWERCUT_SEED ?? Date.now() % 100_000);
const ID = 'cutbox';
const OUTBOX_TOPIC = new RegExp(`^roombox/${ID}/(event|telemetry)$`);

class Vm {
  console = '';
  private proc?: ChildProcess;
  private exited?: Promise<void>;

  constructor(private readonly args: string[]) {}

  boot(reuse: boolean): this {
    this.console = '';
    // A process group of its own: the power cut kills qemu itself, not only the script.
    const proc = spawn(join(ROOT, 'scripts/qemu-boot-box'), [...this.args, ...(reuse ? ['--reuse'] : [])], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.proc = proc;
    proc.stdout!.on('data', (d) => (this.console += d));
    proc.stderr!.on('data', (d) => (this.console += d));
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    return this;
  }

  async waitConsole(pattern: RegExp, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pattern.test(this.console)) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${pattern} on the VM console: ${this.console.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The power cut: SIGKILL to qemu, nothing flushed. */
  async cut(): Promise<void> {
    if (!this.proc?.pid) return;
    try {
      process.kill(-this.proc.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await this.exited;
  }
}

describe('power cuts under qemu', { timeout: 60 * 60_000 }, () => {
  const broker = new Mosquitto();
  let proxy: TcpProxy;
  let probe: MqttProbe;
  let vm: Vm | undefined;
  const work = mkdtempSync(join(tmpdir(), 'roombox-powercut-'));
  before(async () => {
    await broker.start();
    proxy = await new TcpProxy(broker.port).start();
    probe = await MqttProbe.connect(broker.url, [`roombox/${ID}/#`]);
  });
  after(async () => {
    await vm?.cut();
    await probe?.close();
    await proxy?.stop();
    await broker.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it(`keeps every seq, gapless and with one content each, across ${CUTS} power cuts`, async () => {
    const t0 = Date.now();
    const random = seeded(SEED);
    console.log(`powercut: seed ${SEED}, ${CUTS} cuts`);
    let bundle = process.env.POWERCUT_BUNDLE;
    if (!bundle) {
      const built = spawnSync(join(ROOT, 'scripts/build-bundle'), ['--out', join(work, 'out')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, BUNDLE_STAGE: join(work, 'stage') } });
      assert.equal(built.status, 0, built.stderr.slice(-3000));
      bundle = built.stdout.trim().split('\n').pop()!;
    }
    assert.ok(existsSync(bundle), `bundle ${bundle}`);
    const disk = join(work, 'data.img');
    const mkfs = spawnSync('mke2fs', ['-q', '-F', '-t', 'ext4', disk, '64M'], { encoding: 'utf8' });
    assert.equal(mkfs.status, 0, mkfs.stderr);
    const env = join(work, 'roombox.env');
    writeFileSync(env, [`ROOMBOX_MQTT_URL=mqtt://10.0.2.2:${proxy.port}`, `ROOMBOX_ID=${ID}`, 'ROOMBOX_CONSOLE=off', 'ROOMBOX_DATA_DIR=/var/lib/roombox', 'ROOMBOX_TELEMETRY_S=1', ''].join('\n'));
    mkdirSync(join(work, 'vm'));
    vm = new Vm(['--bundle', bundle, '--env', env, '--work', join(work, 'vm'), '--data-disk', disk, '--timeout', '3000']).boot(false);

    const seqs = () => probe.messages.filter((m) => OUTBOX_TOPIC.test(m.topic)).map((m) => JSON.parse(m.payload).seq as number);
    const boots: number[] = [];
    let bootAt = Date.now();
    await probe.waitFor((m) => m.topic === `roombox/${ID}/status` && m.payload === 'online', 900_000, 'the first boot online');
    boots.push(Date.now() - bootAt);
    await probe.waitFor((m) => m.topic === `roombox/${ID}/telemetry`, 30_000, 'telemetry');

    const cuts: { atMs: number; brokerUp: boolean; seqSeen: number }[] = [];
    for (let i = 0; i < CUTS; i++) {
      // Most cuts fall in an outage (messages pile up on the disk); some while the backlog is
      // being delivered.
      const brokerUp = i % 3 === 2;
      if (brokerUp) proxy.up();
      else proxy.down();
      const atMs = 2000 + Math.round(random() * 10_000);
      await new Promise((r) => setTimeout(r, atMs));
      await vm.cut();
      cuts.push({ atMs, brokerUp, seqSeen: Math.max(0, ...seqs()) });
      bootAt = Date.now();
      vm.boot(true);
      // The firmware is up when its link starts: online, or refused while the broker is away.
      await vm.waitConsole(/"msg":"(online|mqtt reconnect scheduled)"/, 600_000);
      boots.push(Date.now() - bootAt);
    }

    proxy.up();
    // Drained: a telemetry message that says the outbox is empty, after the last boot.
    await probe.next((m) => m.topic === `roombox/${ID}/telemetry` && JSON.parse(m.payload).outbox_depth === 0, 300_000, 'an empty outbox');

    const seen = seqs();
    const firstArrivals = [...new Set(seen)];
    assert.deepEqual(firstArrivals, Array.from({ length: firstArrivals.length }, (_, k) => k + 1), `every seq from 1, in order, none missing (first arrivals): ${firstArrivals.join(',')}`);
    const contents = new Map<number, string>();
    for (const m of probe.messages.filter((m) => OUTBOX_TOPIC.test(m.topic))) {
      const seq = JSON.parse(m.payload).seq as number;
      const earlier = contents.get(seq);
      assert.ok(earlier === undefined || earlier === m.payload, `seq ${seq} with two contents:\n${earlier}\n${m.payload}`);
      contents.set(seq, m.payload);
    }
    const starts = probe.messages.filter((m) => m.topic === `roombox/${ID}/event` && JSON.parse(m.payload).type === 'started').length;
    const types = probe.messages.filter((m) => OUTBOX_TOPIC.test(m.topic)).map((m) => `${JSON.parse(m.payload).seq}:${JSON.parse(m.payload).type ?? 't'}`);
    console.log(`powercut: arrivals ${types.join(' ')}`);
    const summary = { seed: SEED, cuts: cuts.length, boots: boots.length, messages: contents.size, deliveries: seen.length, duplicates: seen.length - contents.size, gaps: 0, startedEvents: starts, bootMs: boots, cutMoments: cuts, runS: Math.round((Date.now() - t0) / 1000) };
    console.log(`powercut: ${JSON.stringify(summary)}`);
    assert.ok(starts >= 2, 'boots after a cut came up and published');
  });
});
