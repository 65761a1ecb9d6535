import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe, type Received } from '../helpers/mqtt-probe.js';
import { startInProcessBox } from '../helpers/in-process-box.js';
import { Sshd } from '../helpers/sshd.js';
import { flacTest, listFlac } from './flac-tools.js';

/**
 * Off-box copy against a real sshd on the loopback, through an outage of the SSH server and a
 * restart of the box during it; then the recording disk (a 3 MB tmpfs) fills up: only segments
 * already copied off the box are deleted, oldest first, and recording stops with an alarm when
 * none is left, every file on the disk still decoding.
 */
const P = 'roombox/testbox';
const eventOf = (m: Received): { type: string; detail?: Record<string, unknown> } | undefined => {
  if (m.topic !== `${P}/event`) return undefined;
  return JSON.parse(m.payload);
};

describe('recording upload and a full disk', { timeout: 240_000 }, () => {
  const broker = new Mosquitto();
  const sshd = new Sshd();
  let probe: MqttProbe;
  let mnt = '';
  before(async () => {
    await broker.start();
    await sshd.start();
    probe = await MqttProbe.connect(broker.url, [`${P}/#`]);
    mnt = mkdtempSync(join(tmpdir(), 'roombox-recdisk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt]);
  }, { timeout: 120_000 });
  after(async () => {
    await probe.close();
    await broker.dispose();
    await sshd.dispose();
    try {
      execFileSync('umount', [mnt]);
    } catch {
      /* not mounted */
    }
    rmSync(mnt, { recursive: true, force: true });
  }, { timeout: 60_000 });

  it('copies every segment through an SSH outage and a restart, then frees only copied segments when the disk fills', { timeout: 220_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'roombox-data-'));
    const recordDir = join(mnt, 'rec');
    const env = {
      ROOMBOX_MQTT_URL: broker.url,
      ROOMBOX_DATA_DIR: dataDir,
      ROOMBOX_RECORD: 'on',
      ROOMBOX_RECORD_SEGMENT_S: '2',
      ROOMBOX_RECORD_DIR: recordDir,
      ROOMBOX_RECORD_MIN_FREE_MB: '1',
      ROOMBOX_RECORD_UPLOAD: `ssh://root@127.0.0.1:${sshd.port}${sshd.remoteDir}`,
      ROOMBOX_RECORD_UPLOAD_KEY_FILE: sshd.clientKey,
    };
    const events = (from: number, type: string) => probe.messages.slice(from).map(eventOf).filter((e) => e?.type === type).map((e) => e!.detail!);
    const waitEvents = (from: number, type: string, n: number, timeoutMs: number) =>
      probe.waitFor((m, i) => i >= from && eventOf(m)?.type === type && events(from, type).length >= n, timeoutMs, `${n} ${type} events`);
    const start = probe.messages.length;
    let box = await startInProcessBox({ env });
    try {
      await waitEvents(start, 'record_uploaded', 2, 30_000);

      // Outage: the SSH server goes away; segments keep closing and wait.
      await sshd.stop();
      const down = probe.messages.length;
      await waitEvents(down, 'record_upload_failed', 1, 30_000);
      await waitEvents(down, 'record_segment_closed', 2, 30_000);
      // The box restarts during the outage.
      await box.stop();
      const closedBeforeRestart = events(start, 'record_segment_closed').map((d) => d.file as string);
      const uploadedBeforeRestart = new Set(events(start, 'record_uploaded').map((d) => d.file as string));
      const waiting = closedBeforeRestart.filter((f) => !uploadedBeforeRestart.has(f));
      assert.ok(waiting.length >= 2, 'segments wait for the server');

      await sshd.start();
      const restarted = probe.messages.length;
      box = await startInProcessBox({ env });
      await probe.waitFor((m, i) => i >= restarted && waiting.every((f) => events(restarted, 'record_uploaded').some((d) => d.file === f)) && eventOf(m)?.type === 'record_uploaded', 90_000, 'every waiting segment copied after the restart');
      for (const f of [...uploadedBeforeRestart, ...waiting]) {
        assert.deepEqual(readFileSync(join(sshd.remoteDir, f)), readFileSync(join(recordDir, f)), `${f} arrived whole`);
      }

      // Second outage, then the disk fills: only what was copied may go.
      await sshd.stop();
      const filling = probe.messages.length;
      const reserve = 2 * 48000 * 4 + 64 * 1024;
      const s = statfsSync(recordDir);
      writeFileSync(join(mnt, 'filler'), Buffer.alloc(Math.max(0, s.bavail * s.bsize - reserve - 40 * 1024)));
      await waitEvents(filling, 'record_disk_low', 1, 20_000);
      // How long the disk takes to fill depends on how many copied segments the box frees on the
      // way, which depends on the machine's speed: wait as long as segments keep closing.
      for (let from = filling; ; ) {
        const m = await probe.waitFor((m, i) => i >= from && ['record_stopped', 'record_segment_closed'].includes(eventOf(m)?.type ?? ''), 30_000, 'recording stopped (disk full) or at least another segment closed');
        if (eventOf(m)!.type === 'record_stopped') break;
        from = probe.messages.indexOf(m) + 1;
      }
      assert.deepEqual(events(filling, 'record_stopped'), [{ reason: 'disk_full' }]);
      await probe.waitFor((m, i) => i >= filling && m.topic === `${P}/input/stage/state` && JSON.parse(m.payload).record_alarm === 'disk_full' && JSON.parse(m.payload).recording === false, 10_000, 'state: disk_full');

      const uploaded = new Set(events(start, 'record_uploaded').map((d) => d.file as string));
      const deleted = events(filling, 'record_segment_deleted').map((d) => d.file as string);
      assert.ok(deleted.length > 0, 'copied segments were deleted to make room');
      for (const f of deleted) {
        assert.ok(uploaded.has(f), `${f} was copied off the box before it was deleted`);
        assert.equal(existsSync(join(recordDir, f)), false);
      }
      assert.deepEqual(deleted, [...deleted].sort(), 'oldest first');
      const left = listFlac(recordDir);
      for (const f of events(start, 'record_segment_closed').map((d) => d.file as string)) {
        if (!uploaded.has(f)) assert.ok(left.includes(f), `${f}, not copied, is still on the disk`);
      }
      for (const f of left) assert.ok(flacTest(join(recordDir, f)).ok, `${f} decodes`);
    } finally {
      await box.stop().catch(() => {});
      rmSync(join(mnt, 'filler'), { force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
