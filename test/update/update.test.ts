import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS } from '../../firmware/store/database.js';
import { VERSION } from '../../firmware/version.js';
import type { LogRing } from '../../firmware/core/logger.js';
import type { MqttProbe } from '../helpers/mqtt-probe.js';
import { eventually } from '../helpers/wait.js';
import { AUTOBOOT_A, BOOT_BYTES, Card, ROOT_BYTES } from './card.js';
import { writeRelease } from './release-server.js';
import { BASE, isEvent, UpdateRig } from './rig.js';

/**
 * The simulated hardware's last line and register writes before the box asked for its reboot,
 * and whether any came after: living (PCM512x) soft mute, mute line 22 low (active low), standby,
 * enable 17 low; kitchen (MAX9744) mute line 6 high, enable 5 low.
 */
function hardwareBeforeReboot(ring: LogRing): { before: string; after: number } {
  const lines = ring.last(2000).map((l) => JSON.parse(l) as { msg: string; hw?: { kind: string; line?: number; value: number; addr?: number; reg?: number | null } });
  const at = lines.findIndex((l) => l.msg === 'rebooting for the update');
  assert.ok(at >= 0, 'the box logged its reboot request');
  const show = (l: (typeof lines)[number]) => (l.hw!.kind === 'line' ? `line ${l.hw!.line}=${l.hw!.value}` : `0x${l.hw!.addr!.toString(16)}:${l.hw!.reg}=${l.hw!.value}`);
  return { before: lines.slice(0, at).filter((l) => l.hw).slice(-8).map(show).join(' '), after: lines.slice(at).filter((l) => l.hw).length };
}

const updateStates = (probe: MqttProbe, mark: number) => probe.since(mark, `${BASE}/update`).map((m) => JSON.parse(m.payload) as Record<string, unknown>);

describe('update agent: check, install, trial commit, fall-back', { timeout: 300_000 }, () => {
  const rig = new UpdateRig();
  const images = { boot: randomBytes(200 * 1024), root: randomBytes(600 * 1024) };
  let probe: MqttProbe;
  let releases: string;
  before(async () => {
    await rig.start();
    probe = rig.probe;
    releases = rig.releases;
  }, { timeout: 120_000 });
  after(() => rig.dispose(), { timeout: 60_000 });
  const boxOn = rig.boxOn.bind(rig);
  const keys = rig.keys;

  it('checks, installs into the other slot, reboots to try it, commits the trial, and reports a fall-back with its reason', { timeout: 240_000 }, async () => {
    writeRelease(join(releases, 'v2'), { version: '0.2.0', key: keys.privateKey, ...images });
    const card = new Card();
    try {
      // Slot a, installed VERSION: the check finds 0.2.0, the HA entity shows it.
      let mark = probe.mark();
      const boxA = await boxOn(card, 'a', { channel: 'v2' });
      try {
        const checked = await probe.request<Record<string, unknown>>(BASE, 'update check');
        assert.equal(checked.ok, true, checked.output);
        assert.match(checked.output, /latest 0\.2\.0: 0\.2\.0 available/);
        const state = await probe.waitSince(mark, (m) => m.topic === `${BASE}/update` && JSON.parse(m.payload).latest_version === '0.2.0');
        assert.deepEqual(
          (({ installed_version, latest_version, release_url, in_progress, update_percentage, running_slot, committed_slot, trial }) => ({ installed_version, latest_version, release_url, in_progress, update_percentage, running_slot, committed_slot, trial }))(JSON.parse(state.payload)),
          { installed_version: VERSION, latest_version: '0.2.0', release_url: 'https://example.org/roombox/0.2.0', in_progress: false, update_percentage: null, running_slot: 'a', committed_slot: 'a', trial: false },
        );
        const device = await probe.waitSince(mark, (m) => m.topic === 'homeassistant/device/testbox/config');
        const entity = JSON.parse(device.payload).cmps.firmware_update;
        assert.equal(entity.p, 'update');
        assert.equal(entity.device_class, 'firmware');
        assert.equal(entity.state_topic, `${BASE}/update`);
        assert.equal(entity.command_topic, `${BASE}/request`);
        assert.deepEqual(JSON.parse(entity.payload_install), { id: 'homeassistant-update', line: 'update install' });
        const status = await probe.request(BASE, 'status');
        assert.match(status.output, /^slot: running a, committed a, latest 0\.2\.0$/m);

        // Install as Home Assistant does: its payload_install on the command topic.
        const before = card.fingerprint();
        mark = probe.mark();
        await probe.publish(entity.command_topic, entity.payload_install);
        const written = await probe.waitSince(mark, isEvent('update_written'), 60_000, 'update_written');
        assert.deepEqual(JSON.parse(written.payload).detail, { from_version: VERSION, to_version: '0.2.0', slot: 'b' });
        await probe.waitSince(mark, (m) => m.topic === `${BASE}/status` && m.payload === 'offline', 30_000, 'the box going down for the reboot');
        await boxA.stop(); // the box's own stop, already under way: it ends with the reboot request
        assert.deepEqual(card.rebootsAsked(), ['tryboot']);
        const hw = hardwareBeforeReboot(boxA.ring);
        assert.ok(hw.before.includes('0x4c:3=17 line 22=0 0x4c:2=16 line 17=0'), `living muted and off before the reboot: ${hw.before}`);
        assert.match(hw.before, /line 6=1 line 5=0/, 'kitchen muted and off before the reboot');
        assert.equal(hw.after, 0, 'no line or register changed after the reboot request');
        const percents = updateStates(probe, mark).map((s) => s.update_percentage).filter((p) => p !== null) as number[];
        assert.ok(percents.length >= 10, `progress reported in steps: ${percents.join(' ')}`);
        assert.deepEqual(percents, [...percents].sort((x, y) => x - y), 'progress only rises');
        assert.equal(percents.at(-1), 100);
        assert.ok(probe.since(mark).some(isEvent('update_started')));
        assert.deepEqual(card.slotFile('b', 'boot').subarray(0, images.boot.length), images.boot);
        assert.deepEqual(card.slotFile('b', 'root').subarray(0, images.root.length), images.root);
        assert.equal(card.slotFile('b', 'boot').length, BOOT_BYTES, 'the partition keeps its size');
        const after = card.fingerprint();
        for (const n of [2, 5]) assert.equal(after[card.partition(n)], before[card.partition(n)], `the running slot's partition ${n} is untouched`);
        assert.equal(card.autoboot(), AUTOBOOT_A, 'autoboot.txt is untouched until the trial commits');
        const pending = JSON.parse(readFileSync(join(card.stateDir, 'pending.json'), 'utf8'));
        assert.deepEqual({ ...pending, written_at: undefined, boot_id: undefined }, { from_version: VERSION, to_version: '0.2.0', slot: 'b', written_at: undefined, boot_id: undefined });
      } finally {
        await boxA.stop();
      }

      // The Pi firmware's tryboot starts slot b: online and selftest passing, it commits itself.
      mark = probe.mark();
      const boxB = await boxOn(card, 'b', { version: '0.2.0', channel: 'v2' });
      try {
        const committed = await probe.waitSince(mark, isEvent('update_committed'), 60_000, 'update_committed');
        assert.deepEqual(JSON.parse(committed.payload).detail, { from_version: VERSION, to_version: '0.2.0', slot: 'b' });
        assert.equal(card.autoboot(), '[all]\ntryboot_a_b=1\nboot_partition=3\n[tryboot]\nboot_partition=2\n');
        assert.equal(existsSync(join(card.stateDir, 'pending.json')), false);
        assert.equal(JSON.parse(readFileSync(join(card.stateDir, 'last.json'), 'utf8')).outcome, 'committed');
        const state = await probe.waitSince(mark, (m) => m.topic === `${BASE}/update` && JSON.parse(m.payload).committed_slot === 'b');
        assert.deepEqual((({ installed_version, running_slot, trial }) => ({ installed_version, running_slot, trial }))(JSON.parse(state.payload)), { installed_version: '0.2.0', running_slot: 'b', trial: false });
        assert.deepEqual(card.rebootsAsked(), ['tryboot'], 'a healthy trial asks for no reboot');

        // Next release, written into slot a from slot b.
        writeRelease(join(releases, 'v3'), { version: '0.3.0', key: keys.privateKey, boot: randomBytes(100 * 1024), root: randomBytes(300 * 1024) });
        writeFileSync(join(releases, 'v2', 'manifest.json'), readFileSync(join(releases, 'v3', 'manifest.json')));
        writeFileSync(join(releases, 'v2', 'manifest.json.sig'), readFileSync(join(releases, 'v3', 'manifest.json.sig')));
        for (const f of ['boot.vfat.gz', 'root.ext4.gz']) writeFileSync(join(releases, 'v2', f), readFileSync(join(releases, 'v3', f)));
        mark = probe.mark();
        const install = await probe.request(BASE, 'update install');
        assert.equal(install.ok, true, install.output);
        assert.match(install.output, /installing 0\.3\.0 into slot a/);
        await probe.waitSince(mark, isEvent('update_written'), 60_000, 'update_written of 0.3.0');
        await probe.waitSince(mark, (m) => m.topic === `${BASE}/status` && m.payload === 'offline', 30_000, 'the box going down');
        await boxB.stop(); // the box's own stop, already under way: it ends with the reboot request
        assert.deepEqual(card.rebootsAsked(), ['tryboot', 'tryboot']);
      } finally {
        await boxB.stop();
      }

      // The trial of 0.3.0 on slot a never gets online: after ROOMBOX_UPDATE_CONFIRM_S it gives up.
      const trial = await boxOn(card, 'a', { version: '0.3.0', env: { ROOMBOX_MQTT_URL: 'mqtt://127.0.0.1:1', ROOMBOX_UPDATE_CONFIRM_S: '2' } });
      try {
        await eventually(async () => assert.deepEqual(card.rebootsAsked(), ['tryboot', 'tryboot', 'normal']), { timeoutMs: 30_000, what: 'the normal reboot', retryMs: 100 });
        assert.match(readFileSync(join(card.stateDir, 'rollback-reason'), 'utf8'), /^not healthy within 2 s: not online on the broker/);
        assert.equal(card.autoboot(), '[all]\ntryboot_a_b=1\nboot_partition=3\n[tryboot]\nboot_partition=2\n', 'an unhealthy trial commits nothing');
      } finally {
        await trial.stop();
      }

      // The Pi firmware starts the committed slot b again: the box says it rolled back, and why.
      mark = probe.mark();
      const fallBack = await boxOn(card, 'b', { version: '0.2.0' });
      try {
        const rolled = await probe.waitSince(mark, isEvent('update_rolled_back'), 60_000, 'update_rolled_back');
        const detail = JSON.parse(rolled.payload).detail;
        assert.equal(detail.from_version, '0.2.0');
        assert.equal(detail.to_version, '0.3.0');
        assert.match(detail.reason, /^not healthy within 2 s: not online on the broker/);
        assert.equal(existsSync(join(card.stateDir, 'pending.json')), false);
        assert.equal(existsSync(join(card.stateDir, 'rollback-reason')), false);
        const status = await probe.request(BASE, 'update status');
        assert.match(status.output, /^slots: running b, committed b$/m);
        assert.match(status.output, /^last update: rolled_back 0\.2\.0 -> 0\.3\.0 \(slot a\) at \S+\n  reason: not healthy within 2 s: not online on the broker/m);
      } finally {
        await fallBack.stop();
      }
    } finally {
      card.dispose();
    }
  });

  it("a downgrade to a firmware that cannot use the newer database fails its trial on selftest and falls back", { timeout: 120_000 }, async () => {
    // The installed 0.5.0 added a table; 0.4.0 finds a database newer than it knows and runs without it.
    const later = [...MIGRATIONS, 'CREATE TABLE later_feature (x INTEGER);'];
    writeRelease(join(releases, 'older'), { version: '0.4.0', key: keys.privateKey, boot: randomBytes(32 * 1024), root: randomBytes(64 * 1024) });
    const card = new Card();
    try {
      const installed = await boxOn(card, 'a', { version: '0.5.0', migrations: later, channel: 'older' });
      try {
        const mark = probe.mark();
        assert.equal((await probe.request(BASE, 'update install --allow-downgrade')).ok, true);
        await probe.waitSince(mark, (m) => m.topic === `${BASE}/status` && m.payload === 'offline', 30_000, 'the box going down for the tryboot');
        await installed.stop();
      } finally {
        await installed.stop();
      }
      let mark = probe.mark();
      const trial = await boxOn(card, 'b', { version: '0.4.0', env: { ROOMBOX_UPDATE_CONFIRM_S: '3' } });
      try {
        await probe.waitSince(mark, (m) => m.topic === `${BASE}/status` && m.payload === 'offline', 30_000, 'the trial giving up');
        await trial.stop();
      } finally {
        await trial.stop();
      }
      assert.deepEqual(card.rebootsAsked(), ['tryboot', 'normal']);
      assert.match(readFileSync(join(card.stateDir, 'rollback-reason'), 'utf8'), /^not healthy within 3 s: selftest failed: database writable: persistence off/);
      assert.equal(card.autoboot(), AUTOBOOT_A);

      mark = probe.mark();
      const fallBack = await boxOn(card, 'a', { version: '0.5.0', migrations: later });
      try {
        const rolled = await probe.waitSince(mark, isEvent('update_rolled_back'), 30_000, 'update_rolled_back');
        const detail = JSON.parse(rolled.payload).detail;
        assert.deepEqual({ ...detail, reason: undefined }, { from_version: '0.5.0', to_version: '0.4.0', reason: undefined });
        assert.match(detail.reason, /selftest failed: database writable: persistence off/);
      } finally {
        await fallBack.stop();
      }
    } finally {
      card.dispose();
    }
  });
});
