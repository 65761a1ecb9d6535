import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boardDir, profileErrors } from '../../firmware/board/load-profile.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { startInProcessBox } from '../helpers/in-process-box.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const P = 'roombox/testbox';
const simProfile = () => JSON.parse(readFileSync(join(boardDir(), 'sim.json'), 'utf8'));

describe('board profiles: line names', () => {
  it('a line may be a BCM number or a name; a name is 1-31 printable characters, not all digits', () => {
    const p = simProfile();
    p.zones[0].gpio.mute.line = 'GPIO22';
    p.zones[1].gpio.fault.line = 'AMP_FAULT_N';
    assert.deepEqual(profileErrors(p), []);
    for (const bad of ['17', '', ' GPIO17', 'GPIO17 ', 'G'.repeat(32), 'GPIO\u00e917', 17.5, -1, 54]) {
      p.zones[0].gpio.mute.line = bad;
      const errors = profileErrors(p);
      assert.ok(errors.some((e) => e.startsWith('/zones/0/gpio/mute/line')), `${JSON.stringify(bad)}: ${errors.join('; ')}`);
    }
  });
});

describe('a box whose profile names its lines (sim board)', { timeout: 60_000 }, () => {
  const broker = new Mosquitto();
  const dir = mkdtempSync(join(tmpdir(), 'roombox-named-'));
  let probe: MqttProbe;
  let box: Awaited<ReturnType<typeof startInProcessBox>>;
  before(async () => {
    const p = simProfile();
    p.zones[0].gpio = { enable: { line: 'GPIO17', active: 'high' }, mute: { line: 'GPIO22', active: 'low' } };
    p.zones[1].gpio = { enable: { line: 5, active: 'high' }, mute: { line: 'GPIO6', active: 'high' }, fault: { line: 'GPIO13', active: 'low' } };
    writeFileSync(join(dir, 'named.json'), JSON.stringify(p));
    await broker.start();
    probe = await MqttProbe.connect(broker.url, [`${P}/#`]);
    box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url, ROOMBOX_BOARD: join(dir, 'named.json') } });
    await probe.waitFor((m) => m.topic === `${P}/zone/kitchen/state`, 15_000, 'kitchen state');
  }, { timeout: 120_000 });
  after(async () => {
    await box?.stop();
    await probe?.close();
    await broker.dispose();
    rmSync(dir, { recursive: true, force: true });
  }, { timeout: 120_000 });
  const run = async (line: string) => box.app.ctx.commands.execute(line, 'test');

  it('`gpio` names the backend and shows each line as the profile gives it and where it is', async () => {
    const r = await run('gpio --json');
    const data = r.data as Json;
    assert.equal(data.binding, 'sim');
    assert.equal(data.backend, 'sim');
    const mute = data.lines.find((l: Json) => l.zone === 'living' && l.role === 'mute');
    assert.deepEqual([mute.line, mute.bcm, mute.where, mute.value, mute.active], ['GPIO22', 22, 'sim line 22', 0, true], 'muted at start: active low');
    const enable = data.lines.find((l: Json) => l.zone === 'kitchen' && l.role === 'enable');
    assert.deepEqual([enable.line, enable.bcm], [5, 5]);
    const text = (await run('gpio')).output;
    assert.match(text, /^backend: sim, chip simulated lines$/m);
    assert.match(text, /^living {5}mute {4}GPIO22 {3}= 0 \(active, active low\)$/m);
    assert.match(text, /^kitchen {4}enable  BCM 5 {4}= 0 \(inactive, active high\)$/m);
  });

  it('selftest says which backend and reads each named line', async () => {
    const r = await run('selftest');
    assert.match(r.output, /^PASS {2}GPIO backend: sim: simulated lines$/m);
    assert.match(r.output, /^PASS {2}zone living: GPIO mute \(GPIO22\) readable: level 0 \(sim line 22\)$/m);
    assert.match(r.output, /^PASS {2}zone kitchen: GPIO enable \(BCM 5\) readable: level 0 \(sim line 5\)$/m);
  });

  it('a named fault line faults the zone and clears it, reported with its offset', async () => {
    const mark = probe.messages.length;
    assert.match((await run('sim fault kitchen on')).output, /kitchen: fault line GPIO13 active/);
    const fault = await probe.waitFor((m, i) => i >= mark && m.topic === `${P}/event` && JSON.parse(m.payload).type === 'amp_fault', 10_000, 'amp_fault');
    assert.deepEqual(JSON.parse(fault.payload).detail, { cause: 'line', line: 13 });
    await run('sim fault kitchen off');
    await probe.waitFor((m, i) => i >= mark && m.topic === `${P}/event` && JSON.parse(m.payload).type === 'amp_fault_cleared', 10_000, 'amp_fault_cleared');
  });
});
