import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { VERSION } from '../../firmware/version.js';
import { BOOT_BYTES, Card, ROOT_BYTES } from './card.js';
import { makeKeyPair, writeRelease, type ReleaseSpec } from './release-server.js';
import { BASE, isEvent, UpdateRig } from './rig.js';

/** The installed version with its minor number moved by `delta` (0.1.0 + 1 = 0.2.0). */
function bump(delta: number): string {
  const [major, minor] = VERSION.split('.').map(Number) as [number, number];
  return `${major}.${minor + delta}.0`;
}

describe('update agent: refused installs change nothing', { timeout: 300_000 }, () => {
  const rig = new UpdateRig();
  const images = { boot: randomBytes(100 * 1024), root: randomBytes(300 * 1024) };
  before(() => rig.start(), { timeout: 120_000 });
  after(() => rig.dispose(), { timeout: 60_000 });

  /**
   * Serves `release` as channel `name`, asks a box on slot a to install it, and expects one clear
   * error (on P/response and in update_failed), no write, no reboot, and every slot and
   * autoboot.txt byte for byte as before. The marker request proves nothing came after.
   */
  async function refused(name: string, release: Partial<ReleaseSpec>, line: string, error: RegExp, via: 'response' | 'event' = 'response'): Promise<void> {
    writeRelease(join(rig.releases, name), { version: bump(1), key: rig.keys.privateKey, ...images, ...release });
    const card = new Card();
    const box = await rig.boxOn(card, 'a', { channel: name });
    try {
      const before = card.fingerprint();
      const mark = rig.probe.mark();
      const answer = await rig.probe.request(BASE, line);
      if (via === 'response') {
        assert.equal(answer.ok, false, answer.output);
        assert.match(answer.output.replace(/\s+/g, ' '), new RegExp(`^error: ${error.source}`), 'one error (wrapped at 80 columns)');
      }
      const failed = await rig.probe.waitSince(mark, isEvent('update_failed'), 30_000, 'update_failed');
      assert.match(JSON.parse(failed.payload).detail.error, error);
      await rig.probe.marker(BASE);
      const events = rig.probe.since(mark, `${BASE}/event`).map((m) => JSON.parse(m.payload).type as string);
      assert.deepEqual(events.filter((t) => t.startsWith('update_')), via === 'response' ? ['update_failed'] : ['update_started', 'update_failed']);
      const states = rig.probe.since(mark, `${BASE}/update`).map((m) => JSON.parse(m.payload));
      if (via === 'response') assert.ok(states.every((s) => s.in_progress === false), 'a refused install never shows as running');
      assert.equal(states.at(-1)?.in_progress ?? false, false);
      assert.deepEqual(card.fingerprint(), before, 'no slot and no autoboot.txt changed');
      assert.deepEqual(card.rebootsAsked(), []);
      assert.equal(existsSync(join(card.stateDir, 'pending.json')), false);
    } finally {
      await box.stop();
      card.dispose();
    }
  }

  it('a manifest signed with another key', { timeout: 60_000 }, () => refused('stranger', { key: makeKeyPair().privateKey }, 'update install', /bad signature/));

  it('a tampered part (its hash is not the signed one), before anything is written', { timeout: 60_000 }, () =>
    refused('tampered', { tamperRoot: Buffer.concat([images.root.subarray(0, 1000), Buffer.from('x'), images.root.subarray(1001)]) }, 'update install', /hash mismatch: part root/, 'event'));

  it('a downgrade', { timeout: 60_000 }, () => refused('older', { version: '0.0.9' }, 'update install', /0\.0\.9 is older than the installed .*--allow-downgrade/));

  it('an install from a version below the release\'s min_version', { timeout: 60_000 }, () =>
    refused('jump', { version: bump(2), min_version: bump(1) }, 'update install', new RegExp(`the installed ${VERSION.replace(/\./g, '\\.')} is below ${bump(2).replace(/\./g, '\\.')}'s min_version`)));

  it('a part larger than its partition', { timeout: 60_000 }, () => refused('huge', { rootSize: ROOT_BYTES + 1 }, 'update install', /part root \(\d+ bytes\) is larger than partition \S+6 \(\d+ bytes\)/));

  it('the same version again', { timeout: 60_000 }, () => refused('same', { version: VERSION }, 'update install', /\d+\.\d+\.\d+ is already installed/));

  it('a downgrade with --allow-downgrade is written (from a channel behind a redirect)', { timeout: 60_000 }, async () => {
    writeRelease(join(rig.releases, 'down'), { version: '0.0.9', key: rig.keys.privateKey, ...images });
    const card = new Card();
    const box = await rig.boxOn(card, 'a', { channel: 'moved/down' });
    try {
      const mark = rig.probe.mark();
      const answer = await rig.probe.request(BASE, 'update install --allow-downgrade');
      assert.equal(answer.ok, true, answer.output);
      const written = await rig.probe.waitSince(mark, isEvent('update_written'), 30_000, 'update_written');
      assert.deepEqual(JSON.parse(written.payload).detail, { from_version: VERSION, to_version: '0.0.9', slot: 'b' });
      await rig.probe.waitSince(mark, (m) => m.topic === `${BASE}/status` && m.payload === 'offline', 30_000, 'the box going down');
      await box.stop(); // the box's own stop, already under way: it ends with the reboot request
      assert.deepEqual(card.slotFile('b', 'root').subarray(0, images.root.length), images.root);
      assert.equal(card.slotFile('b', 'boot').length, BOOT_BYTES);
      assert.deepEqual(card.rebootsAsked(), ['tryboot']);
      assert.ok(rig.server.requests.includes('/moved/down/root.ext4.gz') && rig.server.requests.includes('/down/root.ext4.gz'), 'the parts came through the redirect');
    } finally {
      await box.stop();
      card.dispose();
    }
  });

  it('a second install while one runs, and any install during a trial boot', { timeout: 60_000 }, async () => {
    writeRelease(join(rig.releases, 'slow'), { version: bump(1), key: rig.keys.privateKey, ...images });
    const card = new Card();
    const box = await rig.boxOn(card, 'a', { channel: 'slow' });
    const open = rig.server.hold();
    try {
      const mark = rig.probe.mark();
      const first = await rig.probe.request(BASE, 'update install');
      assert.equal(first.ok, true, first.output);
      await rig.probe.waitSince(mark, (m) => m.topic === `${BASE}/update` && JSON.parse(m.payload).in_progress === true, 10_000, 'in_progress');
      const second = await rig.probe.request(BASE, 'update install');
      assert.equal(second.ok, false);
      assert.match(second.output, new RegExp(`^error: an update is already running \\(${bump(1).replace(/\./g, '\\.')} into slot b, 0 %\\)`));
      open();
      await rig.probe.waitSince(mark, isEvent('update_written'), 30_000, 'the first install written');
      await rig.probe.waitSince(mark, (m) => m.topic === `${BASE}/status` && m.payload === 'offline', 30_000, 'the box going down');
      await box.stop(); // the box's own stop, already under way: it ends with the reboot request
      assert.deepEqual(card.rebootsAsked(), ['tryboot'], 'one install, one reboot');
    } finally {
      open();
      await box.stop();
    }
    // The trial boot of slot b, not yet committed (the broker is not there): no install until it is.
    const trial = await rig.boxOn(card, 'b', { version: bump(1), channel: 'slow', env: { ROOMBOX_MQTT_URL: 'mqtt://127.0.0.1:1' } });
    try {
      const before = card.fingerprint();
      const result = await trial.app.ctx.commands.execute('update install', 'test');
      assert.equal(result.ok, false);
      assert.match(result.output, /^error: this is a trial boot of slot b, not yet committed/);
      assert.deepEqual(card.fingerprint(), before);
    } finally {
      await trial.stop();
      card.dispose();
    }
  });
});
