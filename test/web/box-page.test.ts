import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { hashPassword } from '../../firmware/config/password-hash.js';
import { loadProfile } from '../../firmware/board/load-profile.js';
import { pcm512xVolumeReg } from '../../firmware/chips/pcm512x.js';
import { volumeToDb } from '../../firmware/chips/amp-chip.js';
import { launchChromium } from '../helpers/browser.js';
import { startInProcessBox } from '../helpers/in-process-box.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { freePort } from '../helpers/ports.js';
import { runInConsole, waitForMeters } from '../helpers/web-page.js';

const PASSWORD = 'correct horse battery';
const P = 'roombox/webbox';
/** Set to a directory to keep the page's screenshots (docs/ui.md takes them from there). */
const SHOTS = process.env.UI_SCREENSHOT_DIR;

describe('the box page (sim board, real mosquitto, Debian Chromium)', { timeout: 300_000 }, () => {
  let broker: Mosquitto;
  let probe: MqttProbe;
  let box: Awaited<ReturnType<typeof startInProcessBox>>;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let url: string;
  const dir = mkdtempSync(join(tmpdir(), 'roombox-web-'));

  before(async () => {
    broker = await new Mosquitto().start();
    probe = await MqttProbe.connect(broker.url, [`${P}/#`]);
    const file = join(dir, 'http-password');
    writeFileSync(file, `${await hashPassword(PASSWORD)}\n`);
    const port = await freePort();
    url = `http://127.0.0.1:${port}/`;
    box = await startInProcessBox({ env: { ROOMBOX_ID: 'webbox', ROOMBOX_MQTT_URL: broker.url, ROOMBOX_HTTP: `127.0.0.1:${port}`, ROOMBOX_HTTP_PASSWORD_FILE: file, ROOMBOX_LOG_LEVEL: 'info' } });
    ({ browser, close: closeBrowser } = await launchChromium());
  }, { timeout: 120_000 });

  after(async () => {
    await closeBrowser?.();
    await box?.stop();
    await probe?.close();
    await broker?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }, { timeout: 60_000 });

  async function loggedIn(width = 1100): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    await page.goto(url);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('meter').first().waitFor({ timeout: 15_000 });
    return page;
  }

  it('refuses a wrong password and shows nothing of the box; the right one opens the page', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(url);
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('alert').filter({ hasText: 'wrong password' }).waitFor({ timeout: 10_000 });
      assert.equal(await page.getByRole('meter').count(), 0, 'no meter before a login');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'roombox webbox' }).waitFor({ timeout: 15_000 });
      assert.equal(await page.getByRole('slider', { name: 'living volume' }).isEnabled(), true);
      const cookies = await page.context().cookies();
      const session = cookies.find((c) => c.name === 'roombox_session')!;
      assert.equal(session.httpOnly, true);
      assert.equal(session.sameSite, 'Strict');
      assert.equal((await page.content()).includes('scrypt$'), false, 'no secret in the page');
    } finally {
      await page.close();
    }
  });

  it('a meter follows sim tone stage -6 then -30, run from the page console', async () => {
    const page = await loggedIn();
    try {
      await runInConsole(page, 'sim tone stage -6', /\S/);
      const loud = await waitForMeters(page, 'stage', { min: -6.5, max: -5.5 });
      assert.equal(loud.length, 2, 'one meter per channel');
      await runInConsole(page, 'sim tone stage -30', /\S/);
      await waitForMeters(page, 'stage', { min: -30.5, max: -29.5 });
      const rms = await page.getByRole('meter', { name: 'stage channel 1' }).getAttribute('aria-valuetext');
      assert.match(rms!, /RMS -33\.\d dBFS/, 'a sine has its RMS 3 dB under its peak');
    } finally {
      await page.close();
    }
  });

  it('a clip latches until acknowledged, after the signal is clean again', async () => {
    const page = await loggedIn();
    try {
      const light = page.getByRole('status', { name: 'stage clip' });
      assert.equal(await light.textContent(), 'no clip');
      await runInConsole(page, 'sim tone stage 0', /\S/);
      await page.getByRole('status', { name: 'stage clip' }).filter({ hasText: 'CLIPPED' }).waitFor({ timeout: 10_000 });
      await runInConsole(page, 'sim tone stage -20', /\S/);
      await waitForMeters(page, 'stage', { min: -20.5, max: -19.5 });
      // Clean levels have arrived since: the light is still lit.
      assert.equal(await light.textContent(), 'CLIPPED');
      await page.getByRole('button', { name: 'Acknowledge clip' }).click();
      await page.getByRole('status', { name: 'stage clip' }).filter({ hasText: 'no clip' }).waitFor({ timeout: 5000 });
    } finally {
      await page.close();
    }
  });

  it("moving a zone's volume slider sets the simulated chip's registers and the MQTT state", async () => {
    const page = await loggedIn();
    try {
      const slider = page.getByRole('slider', { name: 'living volume' });
      assert.equal(await slider.getAttribute('max'), '90', 'the slider stops at the zone cap');
      await slider.fill('60');
      const state = await probe.waitFor((m) => m.topic === `${P}/zone/living/state` && JSON.parse(m.payload).volume === 60, 10_000, 'living at 60 on MQTT');
      const living = loadProfile('sim').zones.find((z) => z.name === 'living')!;
      const reg = pcm512xVolumeReg(volumeToDb(60, living.volumeDb));
      assert.equal(JSON.parse(state.payload).volume_db, 24 - 0.5 * reg);
      const gpio = (await box.app.ctx.commands.execute('gpio --json', 'test')).data as { sim_chips: { kind: string; state: { volume_regs: number[] } }[] };
      assert.deepEqual(gpio.sim_chips.find((c) => c.kind === 'pcm512x')!.state.volume_regs, [reg, reg]);
      await page.getByText('60 (-24 dB)').waitFor({ timeout: 5000 });
    } finally {
      await page.close();
    }
  });

  it('the console runs status from the same registry as the UART', async () => {
    const page = await loggedIn();
    try {
      const direct = (await box.app.ctx.commands.execute('status', 'test')).output;
      const firstLine = direct.split('\n')[0]!;
      const out = await runInConsole(page, 'status', new RegExp(firstLine.slice(0, 12).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      assert.ok(out.includes('webbox'), out);
    } finally {
      await page.close();
    }
  });

  it('works at 360 px: nothing wider than the screen, controls at least 44 px tall', async () => {
    const page = await loggedIn(360);
    try {
      await waitForMeters(page, 'stage', { min: -100, max: 0 });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 360, `page is ${width} px wide`);
      const small = await page.$$eval('button, select, input:not([type=range]):not([type=checkbox])', (els) => els.filter((e) => e.getBoundingClientRect().height < 44).map((e) => e.outerHTML.slice(0, 80)));
      assert.deepEqual(small, []);
      const shot = await page.screenshot({ fullPage: true, path: SHOTS ? join(SHOTS, 'box-page-360.png') : undefined });
      assert.ok(shot.length > 10_000);
      if (SHOTS) {
        mkdirSync(SHOTS, { recursive: true });
        await page.setViewportSize({ width: 1100, height: 900 });
        await page.screenshot({ fullPage: true, path: join(SHOTS, 'box-page.png') });
      }
    } finally {
      await page.close();
    }
  });

  it('the WebSocket refuses a page without a session and one from another origin; failed logins slow down', async () => {
    const wsUrl = url.replace('http', 'ws') + 'ws';
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(wsUrl, { headers });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('error', () => {});
      });
    assert.equal(await status({ Origin: url.slice(0, -1) }), 401);
    const login = await fetch(`${url}api/login`, { method: 'POST', headers: { Origin: url.slice(0, -1), 'Content-Type': 'application/json' }, body: JSON.stringify({ password: PASSWORD }) });
    assert.equal(login.status, 200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    assert.equal(await status({ Origin: 'http://evil.example', Cookie: cookie }), 403);
    assert.equal(await status({ Origin: url.slice(0, -1), Cookie: cookie }), 101);
    const cross = await fetch(`${url}api/login`, { method: 'POST', headers: { Origin: 'http://evil.example' }, body: JSON.stringify({ password: PASSWORD }) });
    assert.equal(cross.status, 403);
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${url}api/login`, { method: 'POST', headers: { Origin: url.slice(0, -1) }, body: JSON.stringify({ password: `wrong ${i}` }) });
      codes.push(r.status);
    }
    assert.deepEqual(codes.slice(0, 3), [401, 401, 401]);
    assert.equal(codes.at(-1), 429, `codes ${codes.join(',')}`);
    const css = await fetch(`${url}style.css`, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(css.headers.get('content-encoding'), 'gzip');
    assert.match(css.headers.get('content-security-policy')!, /script-src 'self'(;|$)/);
  });
});
