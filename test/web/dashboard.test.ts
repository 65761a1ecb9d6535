import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { hashPassword } from '../../firmware/config/password-hash.js';
import { BoxProcess } from '../helpers/box-process.js';
import { launchChromium } from '../helpers/browser.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { freePort } from '../helpers/ports.js';
import { waitForMeters } from '../helpers/web-page.js';

const PASSWORD = 'fleet password';
const SHOTS = process.env.UI_SCREENSHOT_DIR;

describe('roombox dashboard with fleet-sim boxes', { timeout: 300_000 }, () => {
  let broker: Mosquitto;
  let probe: MqttProbe;
  let pair: BoxProcess;
  let solo: BoxProcess;
  let dashboard: BoxProcess;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let url: string;
  const dir = mkdtempSync(join(tmpdir(), 'roombox-dash-'));

  before(async () => {
    broker = await new Mosquitto().start();
    probe = await MqttProbe.connect(broker.url, ['roombox/+/status', 'roombox/sim-001/zone/+/state']);
    pair = new BoxProcess({ ROOMBOX_MQTT_URL: broker.url }, ['fleet-sim', '--count', '2']).start();
    // Telemetry every 2 s: its sensors' expire_after (three periods, 6 s) is the box's longest.
    solo = new BoxProcess({ ROOMBOX_MQTT_URL: broker.url, ROOMBOX_TELEMETRY_S: '2' }, ['fleet-sim', '--count', '1', '--id-prefix', 'solo']).start();
    for (const id of ['sim-001', 'sim-002', 'solo-001']) await probe.waitFor((m) => m.topic === `roombox/${id}/status` && m.payload === 'online', 60_000, `${id} online`);
    const file = join(dir, 'pw');
    writeFileSync(file, `${await hashPassword(PASSWORD)}\n`);
    const port = await freePort();
    url = `http://127.0.0.1:${port}/`;
    dashboard = new BoxProcess({ ROOMBOX_MQTT_URL: broker.url, ROOMBOX_HTTP: String(port), ROOMBOX_HTTP_PASSWORD_FILE: file }, ['dashboard']).start();
    await dashboard.waitForLog(/web page at/, 30_000);
    ({ browser, close: closeBrowser } = await launchChromium());
  }, { timeout: 120_000 });

  after(async () => {
    await closeBrowser?.();
    await dashboard?.kill();
    await pair?.kill();
    await solo?.kill('SIGKILL');
    await probe?.close();
    await broker?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }, { timeout: 60_000 });

  it('shows one tile per box, online; a killed box turns offline and greys out after its expire_after', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    try {
      await page.goto(url);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      for (const id of ['sim-001', 'sim-002', 'solo-001']) await page.getByRole('link', { name: `${id} online` }).waitFor({ timeout: 20_000 });
      assert.equal(await page.locator('.tile').count(), 3);
      // Every channel's bar shows the sim tone (-20 dBFS: two thirds of the -60..0 dB scale).
      await page.waitForFunction(() => {
        const bars = [...document.querySelectorAll<HTMLElement>('.tile .mini .peak')];
        return bars.length === 6 && bars.every((b) => Math.abs(parseFloat(b.style.width) - 66.7) < 2);
      }, undefined, { timeout: 10_000 });
      if (SHOTS) {
        mkdirSync(SHOTS, { recursive: true });
        await page.screenshot({ path: join(SHOTS, 'dashboard.png') });
      }
      await solo.kill('SIGKILL');
      await page.getByRole('link', { name: 'solo-001 offline' }).waitFor({ timeout: 20_000 });
      assert.equal(await page.getByRole('link', { name: 'sim-001 online' }).count(), 1, 'the others stay online');
      // The box's longest expire_after is the peak sensor's, 10 s.
      await page.locator('.tile.expired', { hasText: 'solo-001' }).waitFor({ timeout: 30_000 });
      assert.equal(await page.locator('.tile.expired').count(), 1);
      if (SHOTS) await page.screenshot({ path: join(SHOTS, 'dashboard-offline.png'), clip: { x: 0, y: 0, width: 700, height: 220 } });
      // A box taken out of service (its retained status cleared) leaves the dashboard.
      await probe.publish('roombox/solo-001/status', '', true);
      await page.locator('.tile', { hasText: 'solo-001' }).waitFor({ state: 'detached', timeout: 10_000 });
      assert.equal(await page.locator('.tile').count(), 2);
    } finally {
      await page.close();
    }
  });

  it("a click opens a box's page view; its volume slider commands the box over MQTT", async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    try {
      await page.goto(url);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.getByRole('link', { name: 'sim-001 online' }).click();
      await waitForMeters(page, 'stage', { min: -21, max: -19 });
      await page.getByRole('slider', { name: 'kitchen volume' }).fill('44');
      await probe.waitFor((m) => m.topic === 'roombox/sim-001/zone/kitchen/state' && JSON.parse(m.payload).volume === 44, 15_000, 'kitchen at 44');
      await page.getByText('44 (', { exact: false }).waitFor({ timeout: 10_000 });
      if (SHOTS) await page.screenshot({ path: join(SHOTS, 'dashboard-box.png'), fullPage: true });
      await page.getByRole('link', { name: 'All boxes' }).click();
      await page.getByRole('link', { name: 'sim-002 online' }).waitFor({ timeout: 5000 });
      assert.deepEqual(errors, [], 'no script error in the page');
    } finally {
      await page.close();
    }
  });
});
