import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { VERSION } from '../../firmware/version.js';
import { BoxProcess } from '../helpers/box-process.js';
import { PtyPair } from '../console/pty.js';
import { Card } from './card.js';
import { writeRelease } from './release-server.js';
import { BASE, isEvent, UpdateRig } from './rig.js';

const lines = (out: string) => out.split('\r\n').slice(1, -1);

describe('update on the serial console of the firmware process', { timeout: 180_000 }, () => {
  const rig = new UpdateRig();
  const pty = new PtyPair();
  const card = new Card();
  let box: BoxProcess;
  const images = { boot: randomBytes(64 * 1024), root: randomBytes(256 * 1024) };

  before(async () => {
    await rig.start();
    await pty.start();
    pty.open();
    writeRelease(join(rig.releases, 'console'), { version: '0.99.0', key: rig.keys.privateKey, ...images });
    const mark = rig.probe.mark();
    box = new BoxProcess({
      ...card.env(card.boot('a'), { ROOMBOX_MQTT_URL: rig.broker.url, ROOMBOX_UPDATE_KEY: rig.keyFile, ROOMBOX_UPDATE_URL: rig.server.url('console') }),
      ROOMBOX_DATA_DIR: card.dataDir,
      ROOMBOX_CONSOLE: pty.a,
      // The simulated hardware's writes are logged at debug.
      ROOMBOX_LOG_LEVEL: 'debug',
    }).start();
    await pty.expect(/roombox> $/, 60_000);
    await rig.probe.waitSince(mark, (m) => m.topic === `${BASE}/status` && m.payload === 'online', 60_000, 'the box online');
  }, { timeout: 120_000 });
  after(async () => {
    await box?.dispose();
    pty.stop();
    card.dispose();
    await rig.dispose();
  }, { timeout: 60_000 });

  it('help, check, status and a refused argument, each line within 80 columns', { timeout: 60_000 }, async () => {
    const help = lines(await pty.command('help update'));
    for (const usage of [/^update check\s+fetch/, /^update install \[--allow-downgrade\]$/, /^update status\s+installed/]) assert.ok(help.some((l) => usage.test(l)), `help shows ${usage}: ${help.join('\n')}`);
    const check = await pty.command('update check');
    assert.match(check, new RegExp(`installed ${VERSION.replace(/\./g, '\\.')}, latest 0\\.99\\.0: 0\\.99\\.0 available`));
    const status = lines(await pty.command('update status'));
    assert.ok(status.includes('slots: running a, committed a'), status.join('\n'));
    assert.ok(status.includes('in progress: no'));
    assert.ok(status.includes('last update: none'));
    const boxStatus = lines(await pty.command('status'));
    assert.ok(boxStatus.includes('slot: running a, committed a, latest 0.99.0'), boxStatus.join('\n'));
    assert.match(await pty.command('update install --force'), /error: unknown argument '--force' \(update install \[--allow-downgrade\]\)/);
    for (const l of [...help, ...status, ...boxStatus]) assert.ok([...l].length <= 80, `within 80 columns: ${l}`);
  });

  it('install from the console: written, then the process stops (amps muted and off) and asks for the tryboot', { timeout: 90_000 }, async () => {
    const mark = rig.probe.mark();
    const out = await pty.command('update install');
    assert.match(out.replace(/\s+/g, ' '), /installing 0\.99\.0 into slot b \(boot -> \S+3, root -> \S+6\)/);
    await rig.probe.waitSince(mark, isEvent('update_written'), 60_000, 'update_written');
    assert.equal(await box.waitExit(30_000), 0, 'a clean stop');
    assert.deepEqual(card.rebootsAsked(), ['tryboot']);
    assert.deepEqual(card.slotFile('b', 'root').subarray(0, images.root.length), images.root);
    const logs = box.logs() as { msg?: string; hw?: { kind: string; line?: number; value: number } }[];
    const at = logs.findIndex((l) => l.msg === 'rebooting for the update');
    assert.ok(at >= 0, 'the reboot was requested');
    const lineWrites = logs.slice(0, at).filter((l) => l.hw?.kind === 'line').map((l) => `line ${l.hw!.line}=${l.hw!.value}`).slice(-4).join(' ');
    // living: mute line 22 low (active low), enable 17 low; kitchen: mute line 6 high, enable 5 low.
    assert.equal(lineWrites, 'line 22=0 line 17=0 line 6=1 line 5=0', 'every amp muted and off before the reboot request');
    assert.equal(logs.slice(at).filter((l) => l.hw).length, 0);
  });
});
