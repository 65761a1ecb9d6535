import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BoxProcess, ROOT } from '../helpers/box-process.js';
import { spawnChild } from '../helpers/children.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { TextWaiter } from '../helpers/text-waiter.js';
import { PtyPair } from './pty.js';

describe('serial console on a real pty pair', { timeout: 300_000 }, () => {
  const broker = new Mosquitto();
  const pty = new PtyPair();
  let box: BoxProcess;
  let probe: MqttProbe;

  before(async () => {
    await broker.start();
    await pty.start();
    pty.open();
    probe = await MqttProbe.connect(broker.url, ['roombox/testbox/#']);
    box = new BoxProcess({ ROOMBOX_MQTT_URL: broker.url, ROOMBOX_CONSOLE: pty.a, ROOMBOX_CONSOLE_BAUD: '115200', ROOMBOX_TELEMETRY_S: '1' }).start();
    await pty.expect(/roombox> $/, 30_000);
    await probe.waitFor((m) => m.topic === 'roombox/testbox/status' && m.payload === 'online', 30_000);
  }, { timeout: 180_000 });
  after(async () => {
    await box?.dispose();
    pty.stop();
    await probe?.close();
    await broker.dispose();
  }, { timeout: 180_000 });

  it('echoes what is typed, handles backspace, DEL and Ctrl-C, and answers at the prompt', async () => {
    let out = await pty.command('versiom\x7fn');
    assert.match(out, /^versiom\x08 \x08n\r\nroombox \d+\.\d+\.\d+\r\nroombox> $/);
    out = await pty.command('versioé\x7fn');
    assert.match(out, /^versioé\x08 \x08n\r\nroombox \d+\.\d+\.\d+\r\nroombox> $/, 'one DEL erases the two-byte é');
    out = await pty.command('vers\x08\x08\x08\x08help version');
    assert.match(out, /version\s+firmware version/);
    const from = pty.received.length;
    pty.write('zone living volume 99\x03');
    await pty.expect(/\^C\r\nroombox> $/, 5000, from);
    out = await pty.command('\x01\x02\x1b\x07status');
    assert.match(out, /board sim/);
  });

  it('keeps its serial port raw: flow-control and signal characters are just ignored bytes', async () => {
    // XOFF would stop the box's output, ^Z or ^\ would signal it, and canonical input would hold
    // a line back, had the box left its port in the line settings a UART comes up with.
    const out = await pty.command('\x13\x1a\x1c\x04\x16version');
    assert.match(out, /^version\r\nroombox \d+\.\d+\.\d+\r\nroombox> $/);
    assert.equal(box.exitCode, null);
  });

  it('refuses a line over 1024 bytes and keeps working', async () => {
    const out = await pty.command('x'.repeat(1500));
    assert.match(out, /error: line longer than 1024 bytes refused/);
    assert.match(await pty.command('version'), /roombox \d/);
  });

  it('survives 1 MB of random bytes and then runs a command', { timeout: 180_000 }, async () => {
    const zonesBefore = JSON.parse((await pty.command('zone --json')).split('\r\n')[1]!);
    for (let sent = 0; sent < 1024 * 1024; sent += 16 * 1024) {
      pty.write(randomBytes(16 * 1024));
      await pty.drain();
    }
    await pty.sync(90_000);
    const out = await pty.command('version');
    assert.match(out, /^version\r\nroombox \d+\.\d+\.\d+\r\nroombox> $/);
    assert.deepEqual(JSON.parse((await pty.command('zone --json')).split('\r\n')[1]!), zonesBefore, 'nothing typed at random changed a zone');
    assert.equal(box.exitCode, null);
  });

  it('runs every box command, and read commands print one JSON line with --json', async () => {
    for (const cmd of ['help', 'status', 'mqtt', 'outbox', 'events 5', 'log 5', 'config', 'version', 'selftest', 'zone', 'zone living', 'input', 'gpio']) {
      const text = await pty.command(cmd);
      assert.doesNotMatch(text, /error: unknown command/, cmd);
      const json = await pty.command(`${cmd} --json`);
      const body = json.split('\r\n')[1]!;
      assert.doesNotThrow(() => JSON.parse(body), `${cmd} --json: ${body.slice(0, 200)}`);
    }
    assert.match(await pty.command('frobnicate now'), /error: unknown command 'frobnicate' \(try 'help'\)/);
    const status = JSON.parse((await pty.command('status --json')).split('\r\n')[1]!);
    assert.equal(status.board, 'sim');
    assert.equal(status.mqtt.connected, true);
    assert.ok(status.zones.living);
    const self = JSON.parse((await pty.command('selftest --json')).split('\r\n')[1]!);
    assert.ok(self.results.some((r: { name: string }) => r.name === 'broker reachable'));
    assert.ok(self.results.some((r: { name: string }) => r.name === 'database writable'));
    const config = (await pty.command('config')).toString();
    assert.match(config, /"board": "sim"/);
  });

  it('changes a zone from the console and the state on MQTT shows it', async () => {
    await pty.command('zone living volume 44');
    await probe.waitFor((m) => m.topic === 'roombox/testbox/zone/living/state' && JSON.parse(m.payload).volume === 44, 10_000);
    assert.match(await pty.command('events 3'), /\d+ \d{4}-\d\d-\d\dT/);
  });

  it('does not stall MQTT when nobody reads the console', async () => {
    pty.pause();
    for (let i = 0; i < 300; i++) pty.write('help\r');
    await probe.next((m) => m.topic === 'roombox/testbox/telemetry', 10_000, 'telemetry while the console is not read');
    await probe.publish('roombox/testbox/zone/kitchen/volume/set', '21');
    await probe.waitFor((m) => m.topic === 'roombox/testbox/zone/kitchen/state' && JSON.parse(m.payload).volume === 21, 10_000);
    pty.resume();
    await pty.expect(/console output dropped|roombox> $/, 20_000, 0);
  });
});

describe('P/request over a real mosquitto', { timeout: 120_000 }, () => {
  it('runs console lines and answers on P/response; bad requests get one P/error', async () => {
    const broker = await new Mosquitto().start();
    const probe = await MqttProbe.connect(broker.url, ['roombox/testbox/response', 'roombox/testbox/error', 'roombox/testbox/status']);
    const box = new BoxProcess({ ROOMBOX_MQTT_URL: broker.url }).start();
    try {
      await probe.waitFor((m) => m.topic === 'roombox/testbox/status' && m.payload === 'online', 30_000);
      await probe.publish('roombox/testbox/request', JSON.stringify({ id: '7', line: 'zone living volume 30' }));
      const r1 = JSON.parse((await probe.waitFor((m) => m.topic.endsWith('/response') && /"id":"7"/.test(m.payload))).payload);
      assert.equal(r1.ok, true);
      await probe.publish('roombox/testbox/request', JSON.stringify({ id: '8', line: 'status --json' }));
      const r2 = JSON.parse((await probe.waitFor((m) => m.topic.endsWith('/response') && /"id":"8"/.test(m.payload))).payload);
      assert.equal(r2.data.zones.living.volume, 30);
      await probe.publish('roombox/testbox/request', JSON.stringify({ id: '9', line: 'nonsense' }));
      const r3 = JSON.parse((await probe.waitFor((m) => m.topic.endsWith('/response') && /"id":"9"/.test(m.payload))).payload);
      assert.equal(r3.ok, false);
      assert.match(r3.output, /unknown command 'nonsense'/);
      const before = probe.mark();
      for (const bad of ['not json', JSON.stringify({ id: 'x'.repeat(65), line: 'version' }), JSON.stringify({ id: '1', line: 'y'.repeat(1100) }), JSON.stringify({ line: 'version' }), JSON.stringify({ id: '2', line: 5 })]) {
        await probe.publish('roombox/testbox/request', bad);
      }
      // Its answer comes after everything the box said about the five before it.
      await probe.marker('roombox/testbox');
      assert.equal(probe.since(before, 'roombox/testbox/error').length, 5);
      assert.deepEqual(probe.since(before, 'roombox/testbox/response').map((m) => JSON.parse(m.payload).id), [probe.lastMarkerId]);
      assert.equal(probe.topic('roombox/testbox/response').length, 4);
    } finally {
      await box.dispose();
      await probe.close();
      await broker.dispose();
    }
  });
});

describe('roombox console on a laptop', { timeout: 120_000 }, () => {
  it('attaches to a UART, passes keys and output, detaches on Ctrl-]', async () => {
    const pty = await new PtyPair().start();
    pty.open();
    const laptop = spawnChild(process.execPath, ['--import', 'tsx', `${ROOT}/firmware/main.ts`, 'console', pty.a, '--baud', '9600'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = new TextWaiter('the laptop terminal');
    const err = new TextWaiter("the laptop's stderr");
    laptop.stdout!.on('data', (d: Buffer) => out.append(d.toString()));
    laptop.stderr!.on('data', (d: Buffer) => err.append(d.toString()));
    const exited = new Promise((r) => laptop.once('exit', r));
    try {
      await err.wait(/attached/, 15_000);
      laptop.stdin!.write('status\r');
      await pty.expect(/status\r/, 5000);
      pty.write('roombox> hello from the box\r\n');
      await out.wait(/hello from the box/, 5000);
      laptop.stdin!.write(Buffer.from([0x1d]));
      assert.equal(await exited, 0);
    } finally {
      laptop.kill();
      pty.stop();
    }
    const missing = spawnChild(process.execPath, ['--import', 'tsx', `${ROOT}/firmware/main.ts`, 'console', '/dev/ttyNOPE0'], { cwd: ROOT });
    const merr = new TextWaiter("the missing device's stderr");
    missing.stderr!.on('data', (d: Buffer) => merr.append(d.toString()));
    assert.equal(await new Promise((r) => missing.once('exit', r)), 1);
    assert.match(merr.value, /cannot open \/dev\/ttyNOPE0: no such device/);
  });
});
