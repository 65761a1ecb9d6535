import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { launchChromium } from '../helpers/browser.js';
import { startInProcessBox } from '../helpers/in-process-box.js';
import { freePort } from '../helpers/ports.js';
import { waitForMeters } from '../helpers/web-page.js';
import type { Browser } from 'playwright-core';

describe('a box page without a password file is read-only', { timeout: 180_000 }, () => {
  let box: Awaited<ReturnType<typeof startInProcessBox>>;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let url: string;

  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}/`;
    box = await startInProcessBox({ env: { ROOMBOX_ID: 'robox', ROOMBOX_EMBEDDED_BROKER_PORT: String(await freePort()), ROOMBOX_HTTP: String(port) } });
    ({ browser, close: closeBrowser } = await launchChromium());
  }, { timeout: 60_000 });

  after(async () => {
    await closeBrowser?.();
    await box?.stop();
  }, { timeout: 30_000 });

  it('shows the box live, says how to set a password, and has every control disabled', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(url);
      await waitForMeters(page, 'stage', { min: -100, max: 0 });
      await page.getByRole('note').filter({ hasText: 'roombox passwd' }).waitFor({ timeout: 5000 });
      assert.equal(await page.getByLabel('Password').count(), 0, 'no login without a password');
      const controls = page.locator('button, input, select');
      const n = await controls.count();
      assert.ok(n >= 10, `${n} controls`);
      const enabled = await controls.evaluateAll((els) => els.filter((e) => !(e as HTMLInputElement).disabled).map((e) => e.outerHTML.slice(0, 80)));
      assert.deepEqual(enabled, []);
      assert.equal(await page.getByRole('slider', { name: 'living volume' }).isDisabled(), true);
    } finally {
      await page.close();
    }
  });

  it('a command sent on the WebSocket anyway is refused and changes nothing', async () => {
    const before = JSON.stringify((await box.app.ctx.commands.execute('zone --json', 'test')).data);
    const ws = new WebSocket(`${url.replace('http', 'ws')}ws`, { headers: { Origin: url.slice(0, -1) } });
    try {
      const refused = new Promise<{ error: string }>((resolve) =>
        ws.on('message', (d) => {
          for (const m of JSON.parse(d.toString()) as { topic: string; payload: { error: string } }[]) if (m.topic === '$web/error') resolve(m.payload);
        }),
      );
      await new Promise((r) => ws.once('open', r));
      ws.send(JSON.stringify({ topic: 'roombox/robox/zone/living/set', payload: { volume: 70, power: 'on' } }));
      assert.match((await refused).error, /read-only/);
      assert.equal(JSON.stringify((await box.app.ctx.commands.execute('zone --json', 'test')).data), before);
    } finally {
      ws.close();
    }
  });
});
