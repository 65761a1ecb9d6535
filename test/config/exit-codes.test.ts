import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoxProcess } from '../helpers/box-process.js';

describe('bad configuration stops the process with exit code 78', { timeout: 120_000 }, () => {
  it('names each bad variable on stderr and masks secrets', async () => {
    const box = new BoxProcess({ ROOMBOX_LEVELS_HZ: 'fast', ROOMBOX_MQTT_URL: 'mqtt://u:hunter2@', ROOMBOX_MQTT_VERSION: '9' }).start();
    try {
      assert.equal(await box.waitExit(30_000), 78);
      const lines = box.stderr.trim().split('\n');
      assert.equal(lines.length, 2, box.stderr);
      assert.match(lines[0]!, /ROOMBOX_MQTT_VERSION='9' is invalid: expected 4 \(MQTT 3\.1\.1\) or 5/);
      assert.match(lines[1]!, /ROOMBOX_LEVELS_HZ='fast' is invalid/);
      assert.doesNotMatch(box.stderr + box.stdout, /hunter2/);
    } finally {
      await box.dispose();
    }
  });

  it('refuses numbers a coercing validator would take, one line each', async () => {
    const box = new BoxProcess({ ROOMBOX_TELEMETRY_S: ' 5', ROOMBOX_OUTBOX_MAX: '1e3', ROOMBOX_EMBEDDED_BROKER_PORT: '0x50', ROOMBOX_ZONE_LIVING_MAX_VOLUME: ' 50 ' }).start();
    try {
      assert.equal(await box.waitExit(30_000), 78);
      assert.deepEqual(box.stderr.trim().split('\n').sort(), [
        "roombox: ROOMBOX_EMBEDDED_BROKER_PORT='0x50' is invalid: expected a port number 1-65535",
        "roombox: ROOMBOX_OUTBOX_MAX='1e3' is invalid: expected a whole number 10-10000000",
        "roombox: ROOMBOX_TELEMETRY_S=' 5' is invalid: expected seconds, 1-86400",
        "roombox: ROOMBOX_ZONE_LIVING_MAX_VOLUME=' 50 ' is invalid: expected a whole number 0-100",
      ]);
      assert.equal(box.stdout, '', 'nothing started');
    } finally {
      await box.dispose();
    }
  });

  it('rejects an unknown board and an invalid profile file with the JSON path of each error', async () => {
    const unknown = new BoxProcess({ ROOMBOX_BOARD: 'nosuchboard' }).start();
    try {
      assert.equal(await unknown.waitExit(30_000), 78);
      assert.match(unknown.stderr, /ROOMBOX_BOARD='nosuchboard' is invalid/);
    } finally {
      await unknown.dispose();
    }
    const dir = mkdtempSync(join(tmpdir(), 'roombox-prof-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ name: 'bad', description: 'x', zones: [{ name: 'Living' }], inputs: [] }));
    const invalid = new BoxProcess({ ROOMBOX_BOARD: file }).start();
    try {
      assert.equal(await invalid.waitExit(30_000), 78);
      assert.match(invalid.stderr, /\/zones\/0\/name/);
      assert.match(invalid.stderr, /\/zones\/0 must have required property 'playback'/);
    } finally {
      await invalid.dispose();
    }
  });

  it('reports a busy embedded broker port as a configuration error, not a stack trace', async () => {
    const { createServer } = await import('node:net');
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    const box = new BoxProcess({ ROOMBOX_EMBEDDED_BROKER_PORT: String(port) }).start();
    try {
      assert.equal(await box.waitExit(30_000), 78);
      assert.match(box.stderr, new RegExp(`ROOMBOX_EMBEDDED_BROKER_PORT=${port} is invalid: port already in use`));
      assert.doesNotMatch(box.stderr, /\n\s+at /);
    } finally {
      srv.close();
      await box.dispose();
    }
  });
});
