import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../firmware/core/logger.js';
import { Database, DB_FILE, MIGRATIONS } from '../../firmware/store/database.js';
import { BoxProcess } from '../helpers/box-process.js';
import { startInProcessBox } from '../helpers/in-process-box.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';

const { logger: log } = createLogger('silent');
/** What a later firmware adds to the schema. */
const LATER = [...MIGRATIONS, 'CREATE TABLE notes (id INTEGER PRIMARY KEY, note TEXT NOT NULL);'];
const BASE = 'roombox/testbox';
const hash = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A data dir as a later firmware leaves it: five undelivered events, a zone's state, a row of its own. */
async function laterFirmwaresDatabase(dir: string): Promise<void> {
  const db = (await Database.open(dir, log, { migrations: LATER })).db!;
  await db.transaction(async () => {
    for (let seq = 1; seq <= 5; seq++) {
      await db.run('INSERT INTO outbox (seq, topic, payload) VALUES (?, ?, ?)', [seq, `${BASE}/event`, JSON.stringify({ seq, ts: '2026-11-28T12:00:00.000Z', type: 'input_absent', input: 'stage', detail: { n: seq } })]);
    }
    await db.run("INSERT INTO meta (key, value) VALUES ('seq_last', '5')");
    await db.run("INSERT INTO state (key, value) VALUES ('zone.living', ?)", [JSON.stringify({ volume: 33, mode: 'manual', mute: false, power: 'off' })]);
    await db.run("INSERT INTO notes (note) VALUES ('kept')");
  });
  await db.close();
}

describe('a database from a newer firmware', { timeout: 120_000 }, () => {
  it('is kept untouched: zones work without persistence, storage_error and selftest say why, and a later firmware picks it up whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roombox-newer-'));
    await laterFirmwaresDatabase(dir);
    const file = join(dir, DB_FILE);
    const before = hash(file);
    const broker = await new Mosquitto().start();
    const probe = await MqttProbe.connect(broker.url, [`${BASE}/#`]);
    const box = new BoxProcess({ ROOMBOX_MQTT_URL: broker.url, ROOMBOX_DATA_DIR: dir, ROOMBOX_TELEMETRY_S: '1' }).start();
    try {
      const err = await probe.waitFor((m) => m.topic === `${BASE}/event` && JSON.parse(m.payload).type === 'storage_error', 20_000, 'storage_error');
      const detail = JSON.parse(err.payload).detail as { error: string; persistence: string };
      assert.equal(detail.error, `database schema ${LATER.length} is newer than this firmware knows (${MIGRATIONS.length})`);
      assert.equal(detail.persistence, 'off');
      const telemetry = await probe.waitFor((m) => m.topic === `${BASE}/telemetry`, 10_000, 'telemetry');
      assert.equal(JSON.parse(telemetry.payload).storage_error, `persistence off: ${detail.error}`);

      const selftest = await probe.request<{ ok: boolean; results: { name: string; ok: boolean; detail: string }[] }>(BASE, 'selftest');
      const item = selftest.data.results.find((r) => r.name === 'database writable');
      assert.equal(item?.ok, false);
      assert.equal(item!.detail, `persistence off: ${detail.error}`);
      assert.equal(selftest.data.ok, false);

      // Zones run; their saved state is not read from a file this firmware does not know.
      await probe.publish(`${BASE}/zone/living/volume/set`, '20');
      await probe.waitFor((m) => m.topic === `${BASE}/zone/living/state` && JSON.parse(m.payload).volume === 20, 10_000, 'volume 20');
      assert.equal(await box.kill('SIGTERM'), 0);

      assert.deepEqual(readdirSync(dir).filter((f) => f.includes('damaged')), [], 'nothing moved aside');
      assert.equal(hash(file), before, 'the file is byte for byte what the later firmware left');
    } finally {
      await box.dispose();
    }

    // The later firmware again: everything is there and goes on from where it was.
    const from = probe.mark();
    const later = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url }, dataDir: dir, migrations: LATER });
    try {
      const started = await probe.waitSince(from, (m) => m.topic === `${BASE}/event` && JSON.parse(m.payload).type === 'started', 20_000, 'started');
      const events = probe.since(from, `${BASE}/event`).map((m) => JSON.parse(m.payload) as { seq: number; type: string; detail?: { n: number } });
      assert.deepEqual(events.slice(0, 5).map((e) => [e.seq, e.type, e.detail?.n]), [1, 2, 3, 4, 5].map((n) => [n, 'input_absent', n]));
      // Numbering goes on after the stored ones, with no gap.
      assert.deepEqual(events.map((e) => e.seq), Array.from({ length: events.length }, (_, i) => i + 1));
      assert.ok(JSON.parse(started.payload).seq > 5);
      const living = await probe.waitSince(from, (m) => m.topic === `${BASE}/zone/living/state`, 10_000, 'living state');
      assert.equal(JSON.parse(living.payload).volume, 33, 'the zone state saved by the later firmware');
    } finally {
      await later.stop();
      await probe.close();
      await broker.dispose();
    }
    const db = (await Database.open(dir, log, { migrations: LATER })).db!;
    assert.deepEqual(await db.all('SELECT note FROM notes'), [{ note: 'kept' }]);
    await db.close();
  });
});
