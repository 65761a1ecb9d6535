// The firmware as the build ships it: scripts/bundle-firmware.mjs's main.js and chunks, in a
// folder laid out like an install (board/, ui/, package.json and node_modules beside dist/).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { addonPath } from '../../firmware/hal/gpio/cdev/addon.js';
import { ROOT } from '../helpers/box-process.js';
import { spawnChild } from '../helpers/children.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { freePort } from '../helpers/ports.js';

describe('the bundled firmware', { timeout: 120_000 }, () => {
  const install = mkdtempSync(join(tmpdir(), 'roombox-bundle-'));
  const firmware = join(install, 'dist', 'firmware');

  before(() => {
    for (const name of ['board', 'ui', 'package.json', 'node_modules']) symlinkSync(join(ROOT, name), join(install, name));
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle-firmware.mjs'), '--outdir', firmware], { cwd: ROOT });
  }, { timeout: 60_000 });
  after(() => rmSync(install, { recursive: true, force: true }), { timeout: 10_000 });

  it('keeps what a configuration may not use in chunks of its own', () => {
    const chunks = readdirSync(join(firmware, 'chunks'));
    for (const feature of ['aedes', 'zones', 'capture', 'recording', 'player-link', 'console', 'box-web']) {
      assert.ok(chunks.some((c) => c.startsWith(`${feature}-`)), `${feature} is a chunk of its own (${chunks.join(' ')})`);
    }
  });

  it('is ASCII throughout, so that V8 holds every module source at one byte a character', () => {
    for (const file of ['main.js', ...readdirSync(join(firmware, 'chunks')).filter((f) => f.endsWith('.js')).map((f) => join('chunks', f))]) {
      const text = readFileSync(join(firmware, file), 'utf8');
      const at = text.search(/[^\x00-\x7f]/);
      assert.equal(at, -1, `${file} has a non-ASCII character at ${at}: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 10))}`);
    }
  });

  it('starts on the sim board, goes online and serves its page', async () => {
    const broker = await new Mosquitto().start();
    const port = await freePort();
    const probe = await MqttProbe.connect(broker.url, ['roombox/bundlebox/#']);
    let box: ChildProcess | undefined;
    try {
      box = spawnChild(process.execPath, [join(firmware, 'main.js')], {
        env: { PATH: process.env.PATH, ROOMBOX_ID: 'bundlebox', ROOMBOX_MQTT_URL: broker.url, ROOMBOX_DATA_DIR: join(install, 'data'), ROOMBOX_CONSOLE: 'off', ROOMBOX_HTTP: `127.0.0.1:${port}`, ROOMBOX_LOG_LEVEL: 'warn' },
        stdio: 'ignore',
      });
      await probe.waitFor((m) => m.topic === 'roombox/bundlebox/status' && m.payload === 'online', 60_000, 'online');
      await probe.waitFor((m) => m.topic === 'roombox/bundlebox/zone/living/state', 10_000, 'the zone state');
      await probe.waitFor((m) => m.topic === 'roombox/bundlebox/input/stage/state', 10_000, 'the input state');
      const page = await fetch(`http://127.0.0.1:${port}/`, { headers: { 'accept-encoding': 'gzip' } });
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<html/i);
    } finally {
      box?.kill('SIGTERM');
      if (box && box.exitCode === null) await new Promise((r) => box!.once('exit', r));
      await probe.close();
      await broker.dispose();
    }
  });

  it("finds the GPIO addon from main.js and from a chunk, where the release bundle puts it", () => {
    const addon = join(firmware, 'hal', 'gpio', 'cdev', 'build', 'Release', 'gpio_cdev.node');
    mkdirSync(join(addon, '..'), { recursive: true });
    writeFileSync(addon, '');
    assert.equal(addonPath(pathToFileURL(join(firmware, 'main.js')).href), addon);
    assert.equal(addonPath(pathToFileURL(join(firmware, 'chunks', 'zones-X.js')).href), addon);
  });
});
