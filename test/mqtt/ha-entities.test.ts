import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Diagnostics } from '../../firmware/api/box.js';
import { App } from '../../firmware/app.js';
import { loadProfile } from '../../firmware/board/load-profile.js';
import { loadConfig } from '../../firmware/config/load.js';
import { createLogger, LogRing } from '../../firmware/core/logger.js';
import { BoxProcess } from '../helpers/box-process.js';
import { MqttProbe, type Received } from '../helpers/mqtt-probe.js';
import { brokerWithProbe } from '../helpers/broker-with-probe.js';

const P = 'roombox/testbox';
const DISCOVERY = 'homeassistant/device/testbox/config';
const isOnline = (m: Received) => m.topic === `${P}/status` && m.payload === 'online';
const diagnostics = (probe: MqttProbe, from: number, pred: (d: Diagnostics) => boolean, what: string) =>
  probe.waitFor((m, i) => i >= from && m.topic === `${P}/diagnostics` && pred(JSON.parse(m.payload) as Diagnostics), 20_000, what).then((m) => JSON.parse(m.payload) as Diagnostics);

describe('Home Assistant entities people expect from an appliance', { timeout: 180_000 }, () => {
  const mq = brokerWithProbe([`${P}/#`, DISCOVERY]);
  const broker = mq.broker;

  it('restart reason and boot count across a first start, a clean stop, a power cut and a watchdog kill', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'roombox-runs-'));
    const box = new BoxProcess({ ROOMBOX_MQTT_URL: broker.url, ROOMBOX_DATA_DIR: dataDir });
    try {
      const expectRun = async (reason: string, bootCount: number) => {
        const from = mq.probe.messages.length;
        box.start();
        await mq.probe.waitFor((m, i) => i >= from && isOnline(m), 30_000, 'online');
        const d = await diagnostics(mq.probe, from, () => true, 'diagnostics');
        assert.deepEqual({ reason: d.restart_reason, boots: d.boot_count }, { reason, boots: bootCount });
      };
      await expectRun('first start', 1);
      assert.equal(await box.kill('SIGTERM'), 0);
      await expectRun('clean stop', 2);
      await box.kill('SIGKILL');
      await expectRun('power loss or unknown', 3);
      await box.kill('SIGKILL');
      // What the unit's ExecStopPost= leaves after systemd killed the box for a missed watchdog.
      writeFileSync(join(dataDir, 'last-exit'), 'watchdog signal ABRT\n');
      await expectRun('watchdog', 4);
      await box.kill('SIGTERM');
    } finally {
      await box.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a run that ended in an error is reported as a crash', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'roombox-crash-'));
    const make = () => {
      const { config } = loadConfig({ ROOMBOX_ID: 'testbox', ROOMBOX_DATA_DIR: dataDir, ROOMBOX_CONSOLE: 'off', ROOMBOX_MQTT_URL: broker.url, ROOMBOX_BOARD: 'usb-capture' }, { hostname: 't' });
      const ring = new LogRing();
      return new App({ config, profile: loadProfile(config.board), logger: createLogger('info', ring, { write: () => true }).logger, logRing: ring });
    };
    try {
      const first = make();
      await first.start();
      await first.stop(1);
      const from = mq.probe.messages.length;
      const second = make();
      await second.start();
      try {
        const d = await diagnostics(mq.probe, from, () => true, 'diagnostics after a crash');
        assert.deepEqual({ reason: d.restart_reason, boots: d.boot_count }, { reason: 'crash', boots: 2 });
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('discovery carries alarm event entities, diagnostic sensors, a selftest button; the events, last error and selftest reach them', async () => {
    const box = new BoxProcess({ ROOMBOX_MQTT_URL: broker.url, ROOMBOX_SILENCE_S: '1', ROOMBOX_TELEMETRY_S: '20' });
    const from = mq.probe.messages.length;
    try {
      box.start();
      await mq.probe.waitFor((m, i) => i >= from && isOnline(m), 30_000, 'online');
      const cmps = JSON.parse((await mq.probe.waitFor((m, i) => i >= from && m.topic === DISCOVERY)).payload).cmps as Record<string, Record<string, unknown>>;
      assert.deepEqual(cmps.kitchen_alarm_events!.event_types, ['amp_fault', 'amp_fault_cleared']);
      assert.equal(cmps.kitchen_alarm_events!.p, 'event');
      assert.deepEqual(cmps.input_stage_alarm_events!.event_types, ['silence', 'quiet', 'clip', 'absent', 'cleared']);
      assert.ok(cmps.input_stage_alarm, 'the binary sensor stays beside the event entity');
      for (const key of ['restart_reason', 'boot_count', 'last_error', 'firmware_version', 'selftest_result']) {
        assert.equal(cmps[key]!.p, 'sensor', key);
        assert.equal(cmps[key]!.state_topic, `${P}/diagnostics`, key);
      }
      assert.equal(cmps.selftest!.p, 'button');
      for (const [key, c] of Object.entries(cmps)) {
        if (['sensor', 'button'].includes(c.p as string) && !key.startsWith('input_')) assert.ok(['diagnostic', 'config'].includes(c.entity_category as string), `${key} has an entity_category`);
        const periodic = typeof c.state_topic === 'string' && /\/(telemetry|peak)$/.test(c.state_topic);
        if (periodic) assert.ok(typeof c.expire_after === 'number' && c.expire_after > 0, `${key} (periodic) has expire_after`);
      }
      assert.equal(cmps.uptime!.expire_after, 60, 'three telemetry periods');

      // Alarm events reach the event entities' topics.
      const mark = mq.probe.messages.length;
      assert.equal((await mq.probe.request(P, 'sim fault kitchen on')).ok, true);
      const fault = await mq.probe.waitFor((m, i) => i >= mark && m.topic === `${P}/zone/kitchen/alarm`, 10_000, 'amp_fault on the event topic');
      assert.equal(JSON.parse(fault.payload).event_type, 'amp_fault');
      assert.equal(JSON.parse(fault.payload).detail.cause, 'line');
      await mq.probe.request(P, 'sim silence stage');
      const silence = await mq.probe.waitFor((m, i) => i >= mark && m.topic === `${P}/input/stage/alarm` && m.payload.includes('"silence"'), 15_000, 'silence event');
      assert.equal(JSON.parse(silence.payload).event_type, 'silence');

      // An error reaches the last-error sensor; the selftest button's result reaches its sensor.
      await mq.probe.request(P, 'sim chip living eio');
      await mq.probe.request(P, 'zone living volume 40');
      const withError = await diagnostics(mq.probe, mark, (d) => d.last_error !== null, 'last error');
      assert.match(withError.last_error!, /amp chip|EIO|answer/i);
      const press = cmps.selftest!;
      await mq.probe.publish(press.command_topic as string, press.payload_press as string);
      const after = await diagnostics(mq.probe, mark, (d) => d.selftest !== 'not run', 'selftest result');
      assert.equal(after.selftest, 'FAIL', 'the living chip does not answer');
      assert.ok(after.selftest_failed.some((n) => n.includes('living')), JSON.stringify(after.selftest_failed));
    } finally {
      await box.dispose();
    }
  });
});
