import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoxProcess } from '../helpers/box-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { Changes } from '../helpers/wait.js';

interface DgramServer {
  bind(path: string): void;
  on(event: 'message', fn: (msg: Buffer) => void): void;
  close(): void;
}
const unix = createRequire(import.meta.url)('unix-dgram') as { createSocket(t: 'unix_dgram', fn?: (msg: Buffer) => void): DgramServer };

describe('systemd notify protocol', { timeout: 300_000 }, () => {
  it('sends READY=1 once online, WATCHDOG=1 at half the watchdog period, STOPPING=1 on SIGTERM', async () => {
    const broker = await new Mosquitto().start();
    const path = join(mkdtempSync(join(tmpdir(), 'roombox-notify-')), 'notify.sock');
    const received: { at: number; text: string }[] = [];
    const arrivals = new Changes();
    const server = unix.createSocket('unix_dgram', (msg) => {
      received.push({ at: Date.now(), text: msg.toString() });
      arrivals.changed();
    });
    server.bind(path);
    const box = new BoxProcess({ ROOMBOX_MQTT_URL: broker.url });
    (box.env as Record<string, string>).NOTIFY_SOCKET = path;
    (box.env as Record<string, string>).WATCHDOG_USEC = '2000000';
    box.start();
    try {
      await box.waitForLog(/"msg":"online"/);
      await arrivals.until(() => received.filter((r) => r.text === 'WATCHDOG=1').length >= 3, 15_000, 'three WATCHDOG=1').catch(() => {});
      const ready = received.find((r) => r.text.startsWith('READY=1'));
      assert.ok(ready, `READY=1 among ${JSON.stringify(received)}`);
      assert.match(ready.text, /STATUS=online as roombox\/testbox/);
      const pings = received.filter((r) => r.text === 'WATCHDOG=1');
      assert.ok(pings.length >= 3, `watchdog pings: ${pings.length}`);
      assert.equal(await box.kill('SIGTERM'), 0);
      // Sent before the exit; the datagram may still be on its way to this process's loop.
      await arrivals.until(() => received.some((r) => r.text === 'STOPPING=1'), 5000, 'STOPPING=1').catch(() => {});
      assert.ok(received.some((r) => r.text === 'STOPPING=1'), `STOPPING=1 among ${JSON.stringify(received)}`);
    } finally {
      server.close();
      await box.dispose();
      await broker.dispose();
    }
  });

  it('sends nothing and needs nothing when NOTIFY_SOCKET is unset', async () => {
    const broker = await new Mosquitto().start();
    const box = new BoxProcess({ ROOMBOX_MQTT_URL: broker.url }).start();
    try {
      await box.waitForLog(/"msg":"online"/);
      assert.doesNotMatch(box.stdout, /systemd/);
      assert.equal(await box.kill('SIGTERM'), 0);
    } finally {
      await box.dispose();
      await broker.dispose();
    }
  });
});
