import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VERSION } from '../../firmware/version.js';
import { ROOT } from '../helpers/box-process.js';
import { spawnChild } from '../helpers/children.js';
import { TextWaiter } from '../helpers/text-waiter.js';
import { AUTOBOOT_A, Card } from './card.js';
import { writeRelease } from './release-server.js';
import { BASE, isEvent, UpdateRig } from './rig.js';

const GUARD = join(ROOT, 'rootfs-overlay', 'usr', 'lib', 'roombox', 'tryboot-guard');
const COMMITTED_B = '[all]\ntryboot_a_b=1\nboot_partition=3\n[tryboot]\nboot_partition=2\n';

/** The guard as init starts it: /bin/sh (dash on Debian, busybox in the harness), the box's settings. */
function runGuard(card: Card, procRoot: string, env: Record<string, string>): { output: TextWaiter; exited: Promise<number | null> } {
  const output = new TextWaiter('tryboot-guard');
  const proc = spawnChild('/bin/sh', [GUARD], { env: { PATH: process.env.PATH, ...card.env(procRoot), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => output.append(String(d)));
  proc.stderr!.on('data', (d) => output.append(String(d)));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { output, exited };
}

describe('tryboot guard (POSIX sh): falls back from a trial the firmware never commits', { timeout: 120_000 }, () => {
  const rig = new UpdateRig();
  before(() => rig.start(), { timeout: 60_000 });
  after(() => rig.dispose(), { timeout: 60_000 });

  it('a trial boot whose firmware never starts: the guard notes why and reboots normally; the old slot reports update_rolled_back', { timeout: 60_000 }, async () => {
    writeRelease(join(rig.releases, 'crashing'), { version: '9.0.0', key: rig.keys.privateKey, boot: randomBytes(50 * 1024), root: randomBytes(100 * 1024) });
    const card = new Card();
    try {
      const box = await rig.boxOn(card, 'a', { channel: 'crashing' });
      try {
        const mark = rig.probe.mark();
        assert.equal((await rig.probe.request(BASE, 'update install')).ok, true);
        await rig.probe.waitSince(mark, (m) => m.topic === `${BASE}/status` && m.payload === 'offline', 30_000, 'the box going down for the tryboot');
        await box.stop(); // the box's own stop, already under way: it ends with the reboot request
      } finally {
        await box.stop();
      }
      assert.deepEqual(card.rebootsAsked(), ['tryboot']);

      // Slot b's firmware crashes at import: only the guard runs.
      const guard = runGuard(card, card.boot('b'), { ROOMBOX_UPDATE_CONFIRM_S: '1', ROOMBOX_UPDATE_GUARD_MARGIN_S: '0' });
      assert.equal(await guard.exited, 0);
      assert.match(guard.output.value, /trial boot of slot b: the firmware has 1 s to commit it/);
      assert.deepEqual(card.rebootsAsked(), ['tryboot', 'normal']);
      assert.equal(readFileSync(join(card.stateDir, 'rollback-reason'), 'utf8'), 'firmware did not commit within 1 s\n');
      assert.equal(card.autoboot(), AUTOBOOT_A);

      const mark = rig.probe.mark();
      const fallBack = await rig.boxOn(card, 'a');
      try {
        const rolled = await rig.probe.waitSince(mark, isEvent('update_rolled_back'), 30_000, 'update_rolled_back');
        assert.deepEqual(JSON.parse(rolled.payload).detail, { from_version: VERSION, to_version: '9.0.0', reason: 'firmware did not commit within 1 s' });
      } finally {
        await fallBack.stop();
      }
    } finally {
      card.dispose();
    }
  });

  it('a trial the firmware commits in time: the guard stands down without a reboot', { timeout: 30_000 }, async () => {
    const card = new Card();
    try {
      const guard = runGuard(card, card.boot('b'), { ROOMBOX_UPDATE_CONFIRM_S: '60', ROOMBOX_UPDATE_GUARD_MARGIN_S: '0' });
      await guard.output.wait(/the firmware has 60 s to commit it/, 10_000);
      writeFileSync(join(card.autobootDir, 'autoboot.txt'), COMMITTED_B);
      assert.equal(await guard.exited, 0);
      assert.match(guard.output.value, /slot b committed after about \d+ s/);
      assert.deepEqual(card.rebootsAsked(), []);
      assert.equal(existsSync(join(card.stateDir, 'rollback-reason')), false);
    } finally {
      card.dispose();
    }
  });

  it('a normal boot of the committed slot, and a boot off an A/B card: nothing to guard', { timeout: 30_000 }, async () => {
    const card = new Card();
    try {
      const committed = runGuard(card, card.boot('a'), {});
      assert.equal(await committed.exited, 0);
      assert.match(committed.output.value, /slot a is the committed slot/);
      const plain = runGuard(card, card.boot('a'), { ROOMBOX_PROC_ROOT: card.dir });
      assert.equal(await plain.exited, 0);
      assert.match(plain.output.value, /not an A\/B boot/);
      assert.deepEqual(card.rebootsAsked(), []);
    } finally {
      card.dispose();
    }
  });

  it("keeps the firmware's own, more precise reason", { timeout: 30_000 }, async () => {
    const card = new Card();
    try {
      mkdirSync(card.stateDir, { recursive: true });
      writeFileSync(join(card.stateDir, 'rollback-reason'), 'not healthy within 1 s: selftest failed: database writable\n');
      const guard = runGuard(card, card.boot('b'), { ROOMBOX_UPDATE_CONFIRM_S: '0', ROOMBOX_UPDATE_GUARD_MARGIN_S: '0' });
      assert.equal(await guard.exited, 0);
      assert.deepEqual(card.rebootsAsked(), ['normal']);
      assert.equal(readFileSync(join(card.stateDir, 'rollback-reason'), 'utf8'), 'not healthy within 1 s: selftest failed: database writable\n');
    } finally {
      card.dispose();
    }
  });
});
